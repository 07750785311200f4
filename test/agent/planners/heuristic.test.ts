import { describe, expect, it } from "vitest";
import { HeuristicPlanner } from "../../../agent/planners/heuristic.ts";
import { recallToolResult } from "../../../agent/planners/recallToolResult.ts";
import { dockerSignals } from "../../../agent/platforms/docker/signals.ts";
import { defaultPolicy } from "../../../agent/policy/loadPolicy.ts";
import type { Decision, Target } from "../../../core/types.ts";
import type { PastFix } from "../../../runbooks/memory/fixMemory.ts";
import { captured } from "../../helpers/fixtures.ts";
import { signal } from "../../../agent/signals.ts";
import { heuristicDecision } from "../../helpers/decisions.ts";
import { k8sWorkload } from "../../helpers/targets.ts";

const target: Target = { kind: "docker_container", key: "docker:container/web", name: "web" };
const planner = new HeuristicPlanner();

function decide(kind: string, recalled: PastFix[] = []): Promise<Decision> {
  return planner.decide({
    incident: { id: "inc_test", alerts: [] },
    target,
    evidence: {
      collectedAt: new Date().toISOString(),
      signals: dockerSignals(captured(kind)),
      observations: {},
      errors: [],
    },
    recalled,
    policy: defaultPolicy(),
  });
}

describe("heuristic planner on real container evidence (one alert name for all)", () => {
  it.each([
    ["memory_leak", "restart_container", "memory_leak"],
    ["oom_killed", "restart_container", "oom_killed"],
    ["hung", "kill_container", "hung_service"],
    ["http_5xx", "restart_container", "http_5xx"],
    ["slow", "restart_container", "latency_p95"],
  ])("%s → %s", async (kind, action, family) => {
    const d = await decide(kind);
    expect(d.action).toBe(action);
    expect(d.family).toBe(family);
    expect(d.planner).toBe("heuristic");
    expect(d.confidence).toBeGreaterThan(0.5);
    const shares = Object.values(d.contributions);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 1);
  });

  it.each(["config_crashloop", "config_exited"])(
    "%s → none, escalated, because a restart cannot fix it",
    async (kind) => {
      const d = await decide(kind);
      expect(d.action).toBe("none");
      expect(d.disposition).toBe("escalate");
      expect(d.rationale).toMatch(/configuration/);
    },
  );

  it("a healthy target gets no action and says so", async () => {
    const d = await decide("healthy");
    expect(d.action).toBe("none");
    expect(d.rationale).toMatch(/healthy/);
  });

  it("past verified fixes raise confidence; past failures of the same action lower it", async () => {
    const plain = await decide("http_5xx");
    const good = await decide("http_5xx", [
      { action: "restart_container", verified: 3, failed: 0, similarity: 1 },
    ]);
    const bad = await decide("http_5xx", [
      { action: "restart_container", verified: 0, failed: 3, similarity: 1 },
    ]);
    expect(good.confidence).toBeGreaterThan(plain.confidence);
    expect(good.contributions.past_fixes).toBeGreaterThan(0);
    expect(bad.confidence).toBeLessThan(plain.confidence);
  });
});

describe("heuristic planner with the runbook memory", () => {
  const pod: Target = {
    kind: "k8s_workload",
    key: "k8s:shop/pod/checkout-1",
    namespace: "shop",
    workload: "pod",
    name: "checkout-1",
  };
  const decideK8s = (recalled: PastFix[]) =>
    planner.decide({
      incident: { id: "inc_test", alerts: [] },
      target: pod,
      evidence: {
        collectedAt: new Date().toISOString(),
        signals: [{ name: "http_errors", value: 40, detail: "40 responses with status 500" }],
        observations: {},
        errors: [],
      },
      recalled,
      policy: defaultPolicy(),
    });
  const runbook: PastFix = {
    action: "restart_pod",
    verified: 0,
    failed: 0,
    similarity: 0.8,
    source: "runbook",
    family: "http_5xx",
    refs: ["http_5xx"],
  };

  it("the static runbook seconds the action the evidence points at", async () => {
    const d = await decideK8s([runbook]);
    expect(d.action).toBe("restart_pod");
    expect(d.contributions.runbook).toBeGreaterThan(0);
    expect(d.rationale).toMatch(/runbook http_5xx recommends it/);
  });

  it("ranks a verified past fix of a similar incident above the static runbook", async () => {
    const d = await decideK8s([
      runbook,
      {
        action: "rollback_deployment",
        verified: 2,
        failed: 0,
        similarity: 0.92,
        source: "incident",
        evidence: 1,
        family: "http_5xx",
        refs: ["incident:inc_9:rollback_deployment"],
      },
    ]);
    expect(d.action).toBe("rollback_deployment");
    expect(d.family).toBe("http_5xx");
    expect(d.contributions.past_fixes).toBeGreaterThan(0);
    expect(d.rationale).toMatch(/2 verified \/ 0 failed past fix/);
  });

  it("ignores remembered actions that do not apply to the target's platform", async () => {
    const d = await decideK8s([
      {
        action: "kill_container",
        verified: 5,
        failed: 0,
        similarity: 1,
        source: "incident",
        evidence: 1,
        family: "hung_service",
      },
    ]);
    expect(d.action).toBe("restart_pod");
  });

  it("gives the LLM planner the top recalled entries with their verified outcomes", () => {
    const result = JSON.parse(
      recallToolResult([
        runbook,
        {
          action: "rollback_deployment",
          verified: 2,
          failed: 1,
          similarity: 0.9,
          source: "incident",
          evidence: 0.33,
          family: "http_5xx",
        },
      ]),
    ) as { entries: Array<Record<string, unknown>> };
    expect(result.entries[0]).toMatchObject({
      source: "incident",
      action: "rollback_deployment",
      verified: 2,
      failed: 1,
    });
    expect(result.entries[1]).toMatchObject({ source: "runbook", action: "restart_pod" });
  });
});

describe("a region-wide failure", () => {
  const web = k8sWorkload("web");
  const down = signal("region_down", "us-east", "3 of 3 nodes NotReady in us-east");

  it("fails over the service and names the region as the root cause apart from the object acted on", async () => {
    const d = await heuristicDecision(web, [
      down,
      signal("standby_region_healthy", "us-west", "us-west ready"),
    ]);
    expect(d.action).toBe("failover_region");
    expect(d.target).toBe("shop/deployment/web");
    expect(d.rootCause).toBe("region/us-east");
  });

  it("with no healthy standby, escalates naming the region", async () => {
    const d = await heuristicDecision(web, [down]);
    expect(d.action).toBe("none");
    expect(d.target).toBe("region/us-east");
  });
});

describe("a forced restart of one pod", () => {
  it("names that pod as the root cause while the Deployment stays the object acted on", async () => {
    const checkout: Target = k8sWorkload("checkout");
    const stuck = signal(
      "stuck_terminating",
      "checkout-7f9c-abcde",
      "Terminating 10 min past its grace period",
    );
    const d = await heuristicDecision(checkout, [stuck]);
    expect(d.action).toBe("restart_pod");
    expect(d.params).toMatchObject({ force: true, pod: "checkout-7f9c-abcde" });
    expect(d.target).toBe("shop/deployment/checkout");
    expect(d.rootCause).toBe("shop/pod/checkout-7f9c-abcde");
  });
});

describe("one replica degraded in its own process", () => {
  const recs: Target = k8sWorkload("recommendations", { namespace: "streaming" });
  it("restarts that pod, named, not the Deployment's every pod", async () => {
    const gc = signal(
      "pod_degraded",
      "recommendations-7d-x1",
      'GC overhead: 92% of the last 60s spent in garbage collection"',
    );
    const d = await heuristicDecision(recs, [gc]);
    expect(d.action).toBe("restart_pod");
    expect(d.params).toEqual({ pod: "recommendations-7d-x1" });
  });
});
