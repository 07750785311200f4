import { rfc3339 } from "../clock.ts";
import type { Node, Pod, Toleration } from "../types.ts";
import type { SimContext } from "./context.ts";
import { R, save } from "./context.ts";
import { podPriority } from "./priority.ts";

/** Pods at or above this priority are critical: the kubelet admits them whatever the node's pressure. */
const SYSTEM_CRITICAL_PRIORITY = 2000000000;

const PRESSURES = ["MemoryPressure", "DiskPressure", "PIDPressure"] as const;

function bestEffort(p: Pod): boolean {
  return [...(p.spec.initContainers ?? []), ...p.spec.containers].every(
    (c) =>
      Object.keys(c.resources?.requests ?? {}).length === 0 &&
      Object.keys(c.resources?.limits ?? {}).length === 0,
  );
}

function toleratesMemoryPressure(ts: readonly Toleration[]): boolean {
  return ts.some(
    (t) =>
      (!t.effect || t.effect === "NoSchedule") &&
      ((!t.key && t.operator === "Exists") || t.key === "node.kubernetes.io/memory-pressure"),
  );
}

/**
 * The eviction manager's admission of a pod the kubelet has not started yet (one bound with `nodeName`, or
 * placed before the node's pressure was reported): under memory pressure alone only BestEffort pods that do
 * not tolerate it are refused; under disk or PID pressure every pod but critical ones. The refusal is the
 * real one: phase Failed, reason Evicted, `Pod was rejected: The node had condition: [DiskPressure]. `.
 * Returns true when the pod was refused.
 */
export function rejectedByKubelet(ctx: SimContext, p: Pod, node: Node): boolean {
  const conditions = PRESSURES.filter(
    (t) => node.status?.conditions?.some((c) => c.type === t && c.status === "True") ?? false,
  );
  if (conditions.length === 0 || podPriority(ctx, p) >= SYSTEM_CRITICAL_PRIORITY) return false;
  if (conditions.length === 1 && conditions[0] === "MemoryPressure")
    if (!bestEffort(p) || toleratesMemoryPressure(p.spec.tolerations ?? [])) return false;
  const message = `The node had condition: [${conditions.join(" ")}]. `;
  ctx.events.record(p, "Warning", "Evicted", message, "kubelet", node.metadata.name);
  const now = rfc3339(ctx.clock.now());
  save(ctx, R.pods, {
    ...p,
    status: {
      ...p.status,
      phase: "Failed",
      reason: "Evicted",
      message: `Pod was rejected: ${message}`,
      startTime: p.status?.startTime ?? now,
    },
  });
  return true;
}
