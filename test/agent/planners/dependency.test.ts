import { describe, expect, it } from "vitest";
import { HeuristicPlanner } from "../../../agent/planners/heuristic.ts";
import { evidenceActedOn, withActionObject } from "../../../agent/planners/actionObject.ts";
import { basisOf, judgePlausibility } from "../../../agent/policy/plausibility.ts";
import { defaultPolicy } from "../../../agent/policy/loadPolicy.ts";
import { signal } from "../../../agent/signals.ts";
import type { Evidence, Signal } from "../../../core/types.ts";
import { k8sWorkload } from "../../helpers/targets.ts";

const web = k8sWorkload("web-7d9-abcde", { workload: "pod" });
const checkout = k8sWorkload("checkout");
const calleeErrors = signal(
  "callee_errors",
  "checkout",
  '12 log line(s) of calls that checkout answered with a server error, e.g. "call to checkout failed: HTTP 500"',
);
const newRelease = [
  signal("http_errors", 0.3, "30% of requests answered 500"),
  signal("recent_rollout", 2, "revision 2 rolled out 4 minutes ago (ghcr.io/acme/checkout:2.0.2)"),
];

function evidence(own: Signal[], dependency?: Signal[]): Evidence {
  return {
    collectedAt: "2026-12-07T18:00:00.000Z",
    signals: own,
    observations: { k8s_rollout_history: { name: "web" } },
    errors: [],
    ...(dependency ? { dependency: { target: checkout, via: "callee_errors", signals: dependency } } : {}),
  };
}
const decide = (e: Evidence) =>
  new HeuristicPlanner().decide({
    incident: { id: "inc_dep", alerts: [] },
    target: web,
    evidence: e,
    recalled: [],
    policy: defaultPolicy(),
  });

describe("a symptom whose cause is a dependency", () => {
  it("the callee's own evidence shows a failing new release → roll the callee back, never the caller", async () => {
    const e = evidence([calleeErrors], newRelease);
    const d = await decide(e);
    expect(d.action).toBe("rollback_deployment");
    expect(d.actsOn).toEqual(checkout);
    expect(d.target).toBe("shop/deployment/checkout");
    expect(d.rationale).toMatch(/comes from shop\/deployment\/checkout/);
    expect(d.contributions).toHaveProperty("callee_errors");
    expect(d.contributions).toHaveProperty(["dependency:http_errors+recent_rollout"]);
    // The owner mapping of the caller's pod never renames an action meant for the dependency.
    expect(withActionObject(d, web, e).target).toBe("shop/deployment/checkout");
    // Judged by the dependency's own evidence: a rollback is what its new revision calls for.
    expect(
      judgePlausibility({
        decision: d,
        target: checkout,
        evidence: evidenceActedOn(d, e),
        policy: defaultPolicy(),
      }),
    ).toEqual({ verdict: "ok" });
    const basis = basisOf(d, e).find((b) => b.evidence.startsWith("dependency:"));
    expect(basis?.detail).toMatch(/shop\/deployment\/checkout recent_rollout: revision 2/);
  });

  it("the callee's errors with no new release (one weak symptom) → escalate naming it, act on neither", async () => {
    const d = await decide(
      evidence([calleeErrors], [signal("http_errors", 0.3, "30% of requests answered 500")]),
    );
    expect(d.action).toBe("none");
    expect(d.disposition).toBe("escalate");
    expect(d.actsOn).toBeUndefined();
    // The escalation names the dependency, where a person looks first.
    expect(d.target).toBe("shop/deployment/checkout");
    expect(d.rationale).toMatch(/callee's own incident|service this one calls/);
  });

  it("a healthy dependency → escalate, nothing acted on", async () => {
    const d = await decide(evidence([calleeErrors], [signal("healthy", true, "all pods Ready")]));
    expect(d.action).toBe("none");
    expect(d.actsOn).toBeUndefined();
  });

  it("a caller failing on its own (it crash-loops after its own new release) is acted on itself", async () => {
    const own = [
      calleeErrors,
      signal("crash_loop", 5, "2 of 2 pods failing"),
      signal("recent_rollout", 3, "revision 3 rolled out 2 minutes ago"),
    ];
    const d = await decide(evidence(own, newRelease));
    expect(d.action).toBe("rollback_deployment");
    expect(d.actsOn).toBeUndefined();
  });

  it("learning and plausibility read the caller's own evidence when the action is not on the dependency", () => {
    const e = evidence([calleeErrors], newRelease);
    const onCaller = {
      action: "restart_pod" as const,
      target: "shop/pod/web",
      params: {},
      confidence: 0.6,
      rationale: "",
      contributions: {},
      planner: "heuristic" as const,
      model: null,
      promptVersion: null,
    };
    expect(evidenceActedOn(onCaller, e).signals).toEqual([calleeErrors]);
    expect(
      judgePlausibility({ decision: onCaller, target: web, evidence: e, policy: defaultPolicy() }).verdict,
    ).toBe("refuse");
  });
});
