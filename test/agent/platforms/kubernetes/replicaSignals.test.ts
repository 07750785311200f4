import { describe, expect, it } from "vitest";
import { heuristicDecision } from "../../../helpers/decisions.ts";
import { defaultPolicy } from "../../../../agent/policy/loadPolicy.ts";
import { judgePlausibility } from "../../../../agent/policy/plausibility.ts";
import {
  nodeSignals,
  workloadSignals,
  type WorkloadObservations,
} from "../../../../agent/platforms/kubernetes/signals.ts";
import type { Decision, Signal, Target } from "../../../../core/types.ts";
import type { PodSnapshot } from "../../../../tools/kubernetes/listPods.ts";
import type { KubeEvent } from "../../../../tools/kubernetes/objectEvents.ts";
import type { DeploymentSnapshot, RevisionSnapshot } from "../../../../tools/kubernetes/rolloutHistory.ts";
import { k8sWorkload } from "../../../helpers/targets.ts";

const T0 = Date.parse("2026-11-23T10:00:00Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const target = k8sWorkload("web");

function pod(name: string, hash: string, ready = true, restartCount = 0, waiting?: string): PodSnapshot {
  return {
    name,
    namespace: "shop",
    uid: `uid-${name}`,
    node: "n1",
    phase: ready ? "Running" : "Pending",
    ready,
    createdAt: at(0),
    deleting: false,
    ownerKind: "ReplicaSet",
    ownerName: `web-${hash}`,
    templateHash: hash,
    containers: [
      {
        name: "app",
        ready,
        restartCount,
        runningSince: at(1),
        ...(waiting ? { waiting: { reason: waiting, message: "" } } : {}),
      },
    ],
  };
}
function rev(
  n: number,
  hash: string,
  replicas: number,
  extra: Partial<RevisionSnapshot> = {},
): RevisionSnapshot {
  return {
    name: `web-${hash}`,
    revision: n,
    templateHash: hash,
    replicas,
    readyReplicas: replicas,
    createdAt: at(0),
    images: [`acme/web:1.${n}`],
    template: {},
    ...extra,
  };
}
function rollout(
  replicas: number,
  revisions: RevisionSnapshot[],
  d: Partial<DeploymentSnapshot> = {},
): DeploymentSnapshot {
  return {
    name: "web",
    namespace: "shop",
    uid: "d",
    replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    updatedReplicas: replicas,
    generation: 3,
    observedGeneration: 3,
    revision: revisions[0]!.revision,
    selector: "app=web",
    conditions: [{ type: "Progressing", status: "True", reason: "NewReplicaSetAvailable", message: "" }],
    revisions,
    ...d,
  };
}
const scaled = (message: string, minute: number): KubeEvent => ({
  type: "Normal",
  reason: "ScalingReplicaSet",
  message,
  count: 1,
  object: "Deployment/web",
  last: at(minute),
});
const names = (o: WorkloadObservations) =>
  workloadSignals(o)
    .map((s) => s.name)
    .sort();
async function decide(signals: Signal[], t: Target = target): Promise<Decision> {
  return heuristicDecision(t, signals);
}

describe("scaled to zero", () => {
  it("a recent scale-down to zero → scale_deployment back to the count it ran at before (from the controller's events)", async () => {
    const o: WorkloadObservations = {
      pods: [],
      logs: {},
      events: [
        scaled("Scaled down replica set web-a to 2 from 4", 20),
        scaled("Scaled down replica set web-a to 0 from 2", 21),
        { ...scaled("", 22), reason: "Other", message: "x" },
      ],
      rollout: rollout(0, [rev(1, "a", 0)]),
    };
    const signals = workloadSignals(o);
    expect(signals.find((s) => s.name === "scaled_to_zero")?.value).toBe(4);
    const d = await decide(signals);
    expect(d.action).toBe("scale_deployment");
    expect(d.params).toEqual({ replicas: 4 });
    expect(
      judgePlausibility({
        decision: d,
        target,
        evidence: { collectedAt: "", signals, observations: {}, errors: [] },
        policy: defaultPolicy(),
      }).verdict,
    ).toBe("ok");
  });

  it("look-alike: zero for longer than an hour (or no record of an earlier count) → replicas_zero, escalated, nothing guessed", async () => {
    const old: WorkloadObservations = {
      pods: [],
      logs: {},
      events: [
        scaled("Scaled down replica set web-a to 0 from 3", 0),
        { ...scaled("", 0), reason: "Other", message: "later", last: at(180) },
      ],
      rollout: rollout(0, [rev(1, "a", 0)]),
    };
    expect(names(old)).toEqual(["replicas_zero"]);
    const none: WorkloadObservations = {
      pods: [],
      logs: {},
      events: [],
      rollout: rollout(0, [rev(1, "a", 0)]),
    };
    expect(names(none)).toEqual(["replicas_zero"]);
    const d = await decide(workloadSignals(none));
    expect(d.action).toBe("none");
    expect(d.rationale).toMatch(/parked it on purpose/);
  });

  it("an older ReplicaSet scaled to zero by a rollout is not a scale to zero", () => {
    const o: WorkloadObservations = {
      pods: [pod("web-b-1", "b")],
      logs: {},
      events: [scaled("Scaled down replica set web-a to 0 from 1", 5)],
      rollout: rollout(1, [rev(2, "b", 1), rev(1, "a", 0)]),
    };
    expect(names(o)).toEqual(["healthy"]);
  });
});

describe("already handled", () => {
  it("a rollout under way whose new pods do not fail → rollout_in_progress, no second action (a remembered restart is outweighed)", async () => {
    const o: WorkloadObservations = {
      pods: [pod("web-b-1", "b", false), pod("web-a-1", "a"), pod("web-a-2", "a")],
      logs: {},
      events: [],
      rollout: rollout(3, [rev(2, "b", 1), rev(1, "a", 2)], {
        updatedReplicas: 1,
        conditions: [{ type: "Progressing", status: "True", reason: "ReplicaSetUpdated", message: "" }],
      }),
    };
    const signals = workloadSignals(o);
    expect(signals.map((s) => s.name)).toContain("rollout_in_progress");
    const d = await decide([...signals, { name: "http_errors", value: 2, detail: "old pods log 5xx" }]);
    expect(d.action).toBe("none");
    expect(d.rationale).toMatch(/already under way/);
    const restart = { ...d, action: "restart_pod" as const, params: {} };
    expect(
      judgePlausibility({
        decision: restart,
        target,
        evidence: { collectedAt: "", signals, observations: {}, errors: [] },
        policy: defaultPolicy(),
      }),
    ).toMatchObject({ verdict: "refuse" });
  });

  it("a rollback under way is named as one", () => {
    const o: WorkloadObservations = {
      pods: [pod("web-a-1", "a", false), pod("web-b-1", "b")],
      logs: {},
      events: [],
      rollout: rollout(2, [rev(3, "a", 1, { revisionHistory: [1] }), rev(2, "b", 1)], { updatedReplicas: 1 }),
    };
    expect(workloadSignals(o).find((s) => s.name === "rollout_in_progress")?.detail).toMatch(
      /^a rollback to revision 3/,
    );
  });

  it("look-alike: a rollout whose new pods crash, or one past its progress deadline, is not 'in progress'", () => {
    const crashing: WorkloadObservations = {
      pods: [pod("web-b-1", "b", false, 4, "CrashLoopBackOff"), pod("web-a-1", "a")],
      logs: {},
      events: [],
      rollout: rollout(2, [rev(2, "b", 1), rev(1, "a", 1)], { updatedReplicas: 1 }),
    };
    expect(names(crashing)).not.toContain("rollout_in_progress");
    expect(names(crashing)).toContain("recent_rollout");
    const stuck: WorkloadObservations = {
      pods: [pod("web-b-1", "b", false), pod("web-a-1", "a")],
      logs: {},
      events: [],
      rollout: rollout(2, [rev(2, "b", 1), rev(1, "a", 1)], {
        updatedReplicas: 1,
        conditions: [
          { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "" },
        ],
      }),
    };
    expect(names(stuck)).not.toContain("rollout_in_progress");
  });

  it("a NotReady node already cordoned with a drain under way → node_cordoned, no second cordon_drain_node", async () => {
    const leaving = { ...pod("web-a-1", "a"), deleting: true };
    const signals = nodeSignals({
      name: "n1",
      unschedulable: true,
      taints: [],
      conditions: [
        { type: "Ready", status: "Unknown", reason: "NodeStatusUnknown", message: "", since: at(0) },
      ],
      pods: [leaving, pod("web-a-2", "a")],
    });
    expect(signals.map((s) => s.name).sort()).toEqual(["node_cordoned", "node_not_ready"]);
    expect(signals.find((s) => s.name === "node_cordoned")?.detail).toMatch(
      /a drain is under way: 1 pod\(s\) terminating, 1 pod\(s\) still to move/,
    );
    const node: Target = { kind: "k8s_node", key: "k8s::node/n1", name: "n1" };
    const d = await decide(signals, node);
    expect(d.action).toBe("none");
    const drain = { ...d, action: "cordon_drain_node" as const };
    expect(
      judgePlausibility({
        decision: drain,
        target: node,
        evidence: { collectedAt: "", signals, observations: {}, errors: [] },
        policy: defaultPolicy(),
      }).verdict,
    ).toBe("refuse");
    // The look-alike: the same NotReady node, not cordoned → drained.
    const open = nodeSignals({
      name: "n1",
      unschedulable: false,
      taints: [],
      conditions: [{ type: "Ready", status: "Unknown", reason: "", message: "", since: at(0) }],
      pods: [pod("web-a-2", "a")],
    });
    expect((await decide(open, node)).action).toBe("cordon_drain_node");
  });
});
