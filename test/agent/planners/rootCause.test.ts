import { describe, expect, it } from "vitest";
import { HeuristicPlanner } from "../../../agent/planners/heuristic.ts";
import { templateOwnerSignals } from "../../../agent/platforms/kubernetes/observers/podOwner.ts";
import { defaultPolicy } from "../../../agent/policy/loadPolicy.ts";
import { signal } from "../../../agent/signals.ts";
import type { Signal, Target } from "../../../core/types.ts";

const pod: Target = {
  kind: "k8s_workload",
  key: "k8s:billing/pod/ledger-writer-7d9f-x2",
  namespace: "billing",
  workload: "pod",
  name: "ledger-writer-7d9f-x2",
};
const decide = (signals: Signal[], target: Target = pod) =>
  new HeuristicPlanner().decide({
    incident: { id: "inc_rc", alerts: [] },
    target,
    evidence: { collectedAt: "2026-12-07T18:00:00.000Z", signals, observations: {}, errors: [] },
    recalled: [],
    policy: defaultPolicy(),
  });
const oomAtStart = [
  signal("oom_killed", 2, "2 pod(s) last terminated OOMKilled"),
  signal("crash_loop", 2, "2 of 2 pods failing"),
  signal("oom_limit_too_low", 268435456, "every pod of the only revision is OOMKilled within 20 s"),
];

describe("root cause at the level where the fix is made", () => {
  it("a pod failing on a template-level cause names its controller", async () => {
    const owned = templateOwnerSignals(
      "ledger-writer-7d9f-x2",
      { kind: "Deployment", name: "ledger-writer" },
      oomAtStart,
    );
    expect(owned.map((s) => s.value)).toEqual(["deployment/ledger-writer"]);
    const d = await decide([...oomAtStart, ...owned]);
    expect(d.action).toBe("none");
    expect(d.target).toBe("billing/deployment/ledger-writer");
  });

  it("a StatefulSet revision's config error names the StatefulSet", async () => {
    const sigs = [
      signal("crash_loop", 1, "1 of 3 pods failing"),
      signal("config_error", true, 'log: "bad directive"'),
    ];
    const owned = templateOwnerSignals(
      "session-store-2",
      { kind: "StatefulSet", name: "session-store" },
      sigs,
    );
    const d = await decide([...sigs, ...owned], { ...pod, namespace: "identity", name: "session-store-2" });
    expect(d.target).toBe("identity/statefulset/session-store");
  });

  it("a pod failing on something not in its template keeps the pod as the cause", async () => {
    const sigs = [signal("crash_loop", 1, "1 of 3 pods failing")];
    expect(templateOwnerSignals("p", { kind: "Deployment", name: "d" }, sigs)).toEqual([]);
    expect(templateOwnerSignals("p", null, oomAtStart)).toEqual([]);
  });

  it("a missing Secret is the root cause of an escalation, never the target of an action", async () => {
    const deployment: Target = {
      ...pod,
      key: "k8s:identity/deployment/auth-service",
      namespace: "identity",
      workload: "deployment",
      name: "auth-service",
    };
    const missing = [
      signal("crash_loop", 2, "2 of 2 pods failing"),
      signal("missing_secret", "secret/auth-jwt-keys", '"secret \\"auth-jwt-keys\\" not found"'),
    ];
    const d = await decide(missing, deployment);
    expect(d.action).toBe("none");
    expect(d.target).toBe("identity/secret/auth-jwt-keys");
    // The same secret introduced by a new revision: the rollback still acts on the Deployment.
    const rolled = await decide(
      [
        ...missing,
        signal("recent_rollout", true, "rev 4 5 min ago"),
        signal("revision_introduced", "secret", "only rev 4 reads it"),
      ],
      deployment,
    );
    expect(rolled.action).toBe("rollback_deployment");
    expect(rolled.target).toBe("identity/deployment/auth-service");
  });
});
