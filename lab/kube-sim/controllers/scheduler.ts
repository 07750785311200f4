import { rfc3339 } from "../clock.ts";
import type { Node, Pod } from "../types.ts";
import type { SimContext } from "./context.ts";
import { R, isActive, save } from "./context.ts";

function tolerates(p: Pod, taint: { key: string; effect: string }): boolean {
  return (p.spec.tolerations ?? []).some(
    (t) =>
      (t.operator === "Exists" && !t.key) ||
      (t.key === taint.key && (!t.effect || t.effect === taint.effect)),
  );
}

/** True when new pods may be placed on the node: Ready, not cordoned, no untolerated NoSchedule/NoExecute taint. */
export function schedulable(n: Node, p: Pod): boolean {
  const ready = n.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
  if (!ready || n.spec?.unschedulable) return false;
  if (
    (n.spec?.taints ?? []).some(
      (t) => (t.effect === "NoSchedule" || t.effect === "NoExecute") && !tolerates(p, t),
    )
  )
    return false;
  return Object.entries(p.spec.nodeSelector ?? {}).every(([k, v]) => n.metadata.labels?.[k] === v);
}

/** The scheduler: places pending pods on the schedulable node with the fewest pods. */
export function schedulePods(ctx: SimContext): void {
  const nodes = ctx.store.view(R.nodes) as readonly Node[];
  const all = ctx.store.view(R.pods) as readonly Pod[];
  const load = new Map(nodes.map((n) => [n.metadata.name, 0]));
  for (const p of all)
    if (p.spec.nodeName && isActive(p)) load.set(p.spec.nodeName, (load.get(p.spec.nodeName) ?? 0) + 1);
  // Only pending pods are copied (they are modified below).
  const pending = all
    .filter((p) => !p.spec.nodeName && isActive(p))
    .map((p) => ctx.store.get(R.pods, p.metadata.namespace, p.metadata.name) as Pod);
  for (const p of pending) {
    const fits = nodes.filter((n) => schedulable(n, p));
    const now = rfc3339(ctx.clock.now());
    if (fits.length === 0) {
      const already = p.status?.conditions?.some((c) => c.type === "PodScheduled" && c.status === "False");
      if (!already) {
        p.status = {
          ...p.status,
          phase: "Pending",
          conditions: [
            {
              type: "PodScheduled",
              status: "False",
              reason: "Unschedulable",
              message: unschedulableMessage(nodes, p),
              lastProbeTime: null,
              lastTransitionTime: now,
            },
          ],
        };
        save(ctx, R.pods, p);
        ctx.events.record(
          p,
          "Warning",
          "FailedScheduling",
          unschedulableMessage(nodes, p),
          "default-scheduler",
        );
      }
      continue;
    }
    fits.sort(
      (a, b) =>
        (load.get(a.metadata.name) ?? 0) - (load.get(b.metadata.name) ?? 0) ||
        a.metadata.name.localeCompare(b.metadata.name),
    );
    const node = fits[0]!;
    load.set(node.metadata.name, (load.get(node.metadata.name) ?? 0) + 1);
    p.spec.nodeName = node.metadata.name;
    p.status = {
      ...p.status,
      phase: "Pending",
      conditions: [{ type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: now }],
    };
    save(ctx, R.pods, p);
    ctx.events.record(
      p,
      "Normal",
      "Scheduled",
      `Successfully assigned ${p.metadata.namespace}/${p.metadata.name} to ${node.metadata.name}`,
      "default-scheduler",
    );
  }
}

function unschedulableMessage(nodes: readonly Node[], p: Pod): string {
  const reasons = new Map<string, number>();
  for (const n of nodes) {
    let r: string;
    if (n.spec?.unschedulable) r = "node(s) were unschedulable";
    else if (n.status?.conditions?.find((c) => c.type === "Ready")?.status !== "True")
      r = "node(s) had untolerated taint {node.kubernetes.io/unreachable: }";
    else if ((n.spec?.taints ?? []).some((t) => t.key === "node.kubernetes.io/disk-pressure"))
      r = "node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }";
    else r = "node(s) didn't match Pod's node affinity/selector";
    reasons.set(r, (reasons.get(r) ?? 0) + 1);
  }
  const detail = [...reasons.entries()].map(([r, n]) => `${n} ${r}`).join(", ");
  void p;
  return `0/${nodes.length} nodes are available: ${detail}. preemption: 0/${nodes.length} nodes are available: ${nodes.length} Preemption is not helpful for scheduling.`;
}
