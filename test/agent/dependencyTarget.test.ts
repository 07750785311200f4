import { describe, expect, it } from "vitest";
import { makeDecide } from "../../agent/nodes/decide.ts";
import type { Located, Platform } from "../../agent/platforms/platform.ts";
import { signal } from "../../agent/signals.ts";
import type { IncidentStateType } from "../../agent/state.ts";
import type { Decision, Evidence, Target } from "../../core/types.ts";
import { freshState, useAgentDeps } from "./agentHarness.ts";
import { k8sWorkload } from "../helpers/targets.ts";

const fx = useAgentDeps("dependency-target");

const workload = (name: string) => k8sWorkload(name);
const web = workload("web");
const checkout = workload("checkout");

/** Only locate is reached by the decide node; it answers for the objects this test's "cluster" has. */
function locatingPlatform(present: Record<string, Partial<Located & { ok: true }>>): Platform {
  const unused = () => {
    throw new Error("not reached by the decide node");
  };
  return {
    kinds: ["k8s_workload"],
    actions: ["rollback_deployment"],
    locate: async (t) =>
      present[t.key]
        ? { ok: true, target: t, instanceId: `uid-${t.key}`, ...present[t.key] }
        : { ok: false, reason: `${t.key} not found` },
    investigate: unused,
    execute: unused,
    reconcile: unused,
    rollback: unused,
    checkHealth: unused,
  };
}

const evidence: Evidence = {
  collectedAt: new Date().toISOString(),
  signals: [
    signal("callee_errors", "checkout", "14 log line(s) of calls that checkout answered with a server error"),
  ],
  observations: {},
  errors: [],
  dependency: {
    target: checkout,
    via: "callee_errors",
    signals: [
      signal("http_errors", 0.3, "30% of requests answered 500"),
      signal("recent_rollout", 2, "revision 2 rolled out 3 minutes ago"),
    ],
  },
};

async function incidentAbout(target: Target, alertname: string): Promise<string> {
  const [outcome] = await fx.deps.incidents.ingest(
    [
      {
        alert: {
          status: "firing",
          labels: {
            alertname,
            namespace: "shop",
            deployment: target.kind === "k8s_workload" ? target.name : "",
          },
          annotations: {},
          startsAt: new Date().toISOString(),
          endsAt: "0001-01-01T00:00:00Z",
          generatorURL: "",
          fingerprint: `fp-${target.key}`,
        },
        target,
      },
    ],
    new Date().toISOString(),
  );
  return outcome!.incidentId;
}

function stateOf(incidentId: string): IncidentStateType {
  return freshState(incidentId, web, { containerId: "uid-web", identity: web.key, evidence });
}

describe("the decide node when the action is on the dependency", () => {
  it("makes the dependency the incident's object: the guard and the action then see it, the timeline says why", async () => {
    fx.deps.platforms = [locatingPlatform({ [web.key]: {}, [checkout.key]: {} })];
    const id = await incidentAbout(web, "HighErrorRate");
    const update = await makeDecide(fx.deps)(stateOf(id));
    const decision = update.decision as Decision;
    expect(decision.action).toBe("rollback_deployment");
    expect(update.target).toEqual(checkout);
    expect(update.identity).toBe(checkout.key);
    expect(update.containerId).toBe(`uid-${checkout.key}`);
    const timeline = (await fx.deps.incidents.get(id))!.timeline.map((e) => e.message);
    expect(timeline.join("\n")).toMatch(/comes from k8s::shop\/deployment\/checkout: acting on it/);
  });

  it("a dependency another open incident already holds is left to that incident: escalated, naming it", async () => {
    fx.deps.platforms = [locatingPlatform({ [web.key]: {}, [checkout.key]: {} })];
    const own = await incidentAbout(checkout, "CheckoutErrors");
    expect(await fx.deps.incidents.claimObject(own, checkout.key)).toBeUndefined();
    const id = await incidentAbout(web, "HighErrorRate");
    const update = await makeDecide(fx.deps)(stateOf(id));
    const decision = update.decision as Decision;
    expect(decision.action).toBe("none");
    expect(decision.disposition).toBe("escalate");
    expect(decision.rationale).toContain(`already the object of incident ${own}`);
    expect(update.target).toBeUndefined();
  });

  it("a protected dependency is not acted on from its caller's incident", async () => {
    fx.deps.platforms = [
      locatingPlatform({ [web.key]: {}, [checkout.key]: { protectedReason: "namespace shop is frozen" } }),
    ];
    const id = await incidentAbout(web, "HighErrorRate");
    const update = await makeDecide(fx.deps)(stateOf(id));
    const decision = update.decision as Decision;
    expect(decision.action).toBe("none");
    expect(decision.rationale).toContain("namespace shop is frozen");
  });
});
