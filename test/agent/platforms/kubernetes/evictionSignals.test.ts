import { describe, expect, it } from "vitest";
import { heuristicDecision } from "../../../helpers/decisions.ts";
import { evictionSignals } from "../../../../agent/platforms/kubernetes/evictionSignals.ts";
import type { WorkloadObservations } from "../../../../agent/platforms/kubernetes/signals.ts";
import type { Target } from "../../../../core/types.ts";
import type { PodSnapshot } from "../../../../tools/kubernetes/listPods.ts";
import { k8sWorkload } from "../../../helpers/targets.ts";

const pod: PodSnapshot = {
  name: "kafka-0",
  namespace: "kafka",
  uid: "u",
  node: "node-1",
  phase: "Failed",
  ready: false,
  createdAt: null,
  deleting: false,
  ownerKind: null,
  ownerName: null,
  templateHash: null,
  containers: [{ name: "kafka", ready: false, restartCount: 0 }],
} as PodSnapshot;
const evicted = (message: string, reason = "Evicted"): WorkloadObservations => ({
  pods: [pod],
  logs: {},
  events: [{ type: "Warning", reason, message, count: 1, object: "Pod/kafka-0", last: null }],
});
const KUBELET = (using: string) =>
  `The node was low on resource: ephemeral-storage. Threshold quantity: 10732175360, available: 9000000Ki. Container kafka was using ${using}, request is 0, has larger consumption of ephemeral-storage. `;
const target: Target = k8sWorkload("kafka-0", { namespace: "kafka", workload: "pod" });

describe("a pod evicted for its node's pressure", () => {
  it("the kubelet evicted it for ephemeral storage it barely used → the node is the root cause; nothing is done to the pod", async () => {
    const signals = evictionSignals(evicted(KUBELET("3264Ki")));
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ name: "evicted_for_node_pressure", value: "node-1" });
    const d = await heuristicDecision(target, signals);
    expect(d.action).toBe("none");
    expect(d.target).toBe("node/node-1");
  });

  it("look-alikes: the pod itself used most of it (it filled the disk); an API eviction (a drain); another reason", () => {
    expect(evictionSignals(evicted(KUBELET("9Gi")))).toEqual([]);
    expect(evictionSignals(evicted("Eviction API: evicting"))).toEqual([]);
    expect(evictionSignals(evicted("Preempted by a pod of higher priority", "Preempting"))).toEqual([]);
  });

  it("the kubelet refused it at admission (The node had condition: [DiskPressure]) → the node is the root cause", () => {
    const signals = evictionSignals(evicted("The node had condition: [DiskPressure]. "));
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ name: "evicted_for_node_pressure", value: "node-1" });
    expect(signals[0]!.detail).toMatch(/never ran there.*DiskPressure/);
  });

  it("a refusal for a pod not bound to a node names nothing", () => {
    const unbound: WorkloadObservations = {
      ...evicted("The node had condition: [DiskPressure]. "),
      pods: [{ ...pod, node: null }],
    };
    expect(evictionSignals(unbound)).toEqual([]);
  });
});
