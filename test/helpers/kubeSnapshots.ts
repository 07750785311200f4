import type { PodSnapshot } from "../../tools/kubernetes/listPods.ts";

/**
 * A pod as the list-pods tool reads it: in shop on node-1, running and ready, owned by ReplicaSet `web-abc`,
 * one ready container `app`; `over` changes any field.
 */
export const podSnapshot = (name: string, over: Partial<PodSnapshot> = {}): PodSnapshot => ({
  name,
  namespace: "shop",
  uid: `uid-${name}`,
  node: "node-1",
  phase: "Running",
  ready: true,
  createdAt: "2026-12-02T10:00:00.000Z",
  deleting: false,
  ownerKind: "ReplicaSet",
  ownerName: "web-abc",
  templateHash: "abc",
  containers: [{ name: "app", ready: true, restartCount: 0 }],
  ...over,
});
