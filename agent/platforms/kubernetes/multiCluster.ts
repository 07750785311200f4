import type { Target } from "../../../core/types.ts";
import type { Platform } from "../platform.ts";

/**
 * One Kubernetes platform per cluster (kube context), seen by the graph as one: each call goes to the platform of
 * the target's `cluster` (from its `cluster`/`region` label), the default context's when it names none.
 */
export function createMultiClusterPlatform(
  defaultPlatform: Platform,
  byCluster: Record<string, Platform>,
): Platform {
  const pick = (t: Target): Platform => {
    const c =
      t.kind === "k8s_workload" || t.kind === "k8s_node" || t.kind === "k8s_ref" ? t.cluster : undefined;
    return (c !== undefined ? byCluster[c] : undefined) ?? defaultPlatform;
  };
  return {
    kinds: defaultPlatform.kinds,
    actions: defaultPlatform.actions,
    async locate(target) {
      const c =
        target.kind === "k8s_workload" || target.kind === "k8s_node" || target.kind === "k8s_ref"
          ? target.cluster
          : undefined;
      if (c !== undefined && !byCluster[c]) {
        return { ok: false, reason: `cluster ${c} is not in the policy's clusters` };
      }
      return pick(target).locate(target);
    },
    investigate: (target, alerts) => pick(target).investigate(target, alerts),
    readOnlyTools: (target) => pick(target).readOnlyTools?.(target) ?? [],
    execute: (decision, target) => pick(target).execute(decision, target),
    reconcile: (record, target) => pick(target).reconcile(record, target),
    rollback: (record, target) => pick(target).rollback(record, target),
    undo: async (record, target) => {
      const p = pick(target);
      return p.undo
        ? p.undo(record, target)
        : { rolledBack: false, detail: "this cluster's platform has no undo" };
    },
    undoConflict: async (record, target) => pick(target).undoConflict?.(record, target),
    checkHealth: (target, alerts, since, decision) =>
      pick(target).checkHealth(target, alerts, since, decision),
  };
}
