import { rfc3339 } from "../clock.ts";
import type { Node, Pod } from "../types.ts";
import { parseBytes } from "../world.ts";
import type { SimContext } from "./context.ts";
import { R, save } from "./context.ts";

const MiB = 1024 * 1024;
/** The kubelet's default hard eviction threshold for memory (memory.available<100Mi). */
export const MEMORY_THRESHOLD_BYTES = 100 * MiB;
const EVICTION_PERIOD_MS = 10_000;
const KUBELET_PID = 1187;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Writes lines to the node's journal in `journalctl` form: klog lines from the kubelet, plain ones from systemd. */
export function journal(
  ctx: SimContext,
  node: string,
  unit: "kubelet" | "systemd",
  line: string,
  severity: "I" | "W" | "E" = "I",
  source = "kubelet.go:2400",
): void {
  const d = new Date(ctx.clock.now());
  const p2 = (n: number) => String(n).padStart(2, "0");
  const hms = `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  const prefix = `${MONTHS[d.getUTCMonth()]} ${p2(d.getUTCDate())} ${hms} ${node}`;
  if (unit === "systemd") return ctx.world.journal(node, `${prefix} systemd[1]: ${line}`);
  const micros = String(d.getUTCMilliseconds() * 1000).padStart(6, "0");
  ctx.world.journal(
    node,
    `${prefix} kubelet[${KUBELET_PID}]: ${severity}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())} ${hms}.${micros}    ${KUBELET_PID} ${source}] ${line}`,
  );
}

/** The node's memory: capacity, what its pods' containers and outside processes use, and what is left. */
export function nodeMemory(
  ctx: SimContext,
  n: Node,
  onNode: readonly Pod[],
): { used: number; available: number } {
  const st = ctx.world.node(n.metadata.name);
  const capacity = parseBytes(n.status?.capacity?.memory) ?? 16 * 1024 * MiB;
  let used = (st.outsideMemoryMiB ?? 0) * MiB;
  for (const p of onNode) {
    const rt = ctx.world.runtimes.get(p.metadata.uid!);
    for (const c of rt?.containers.values() ?? []) if (c.state === "running") used += c.memBytes;
  }
  return { used, available: capacity - used };
}

/** True when the node's processes use more than 90 % of its pid_max. */
export function pidPressure(ctx: SimContext, n: Node, onNode: readonly Pod[]): boolean {
  const st = ctx.world.node(n.metadata.name);
  const max = st.pidMax ?? 32768;
  return (st.outsidePids ?? 0) + onNode.length * 8 >= 0.9 * max;
}

const memOf = (ctx: SimContext, p: Pod, name: string) =>
  ctx.world.runtimes.get(p.metadata.uid!)?.containers.get(name)?.memBytes ?? 0;
const requestOf = (p: Pod, name: string) =>
  parseBytes(p.spec.containers.find((c) => c.name === name)?.resources?.requests?.memory) ?? 0;
const Ki = (b: number) => `${Math.max(0, Math.round(b / 1024))}Ki`;

/**
 * The kubelet's eviction manager under memory pressure: every 10 s it evicts one pod, ranked as the real one
 * ranks them (usage above requests first, then by how far above), marking it Failed/Evicted with the real
 * message and events. Controllers then replace it elsewhere (the memory-pressure taint keeps it off this node).
 */
export function evictForMemory(ctx: SimContext, n: Node, onNode: readonly Pod[], available: number): void {
  const name = n.metadata.name;
  const now = ctx.clock.now();
  const key = `eviction/${name}`;
  if (now - (ctx.world.reported.get(key) ?? -Infinity) < EVICTION_PERIOD_MS) return;
  const candidates = onNode.filter((p) => !p.metadata.deletionTimestamp);
  if (!candidates.length) return;
  ctx.world.reported.set(key, now);
  const over = (p: Pod) =>
    p.spec.containers.reduce((s, c) => s + memOf(ctx, p, c.name) - requestOf(p, c.name), 0);
  const ranked = [...candidates].sort(
    (a, b) => Number(over(b) > 0) - Number(over(a) > 0) || over(b) - over(a),
  );
  const victim = ranked[0]!;
  journal(
    ctx,
    name,
    "kubelet",
    `"Eviction manager: attempting to reclaim" resourceName="memory"`,
    "I",
    "eviction_manager.go:366",
  );
  journal(
    ctx,
    name,
    "kubelet",
    `"Eviction manager: must evict pod(s) to reclaim" resourceName="memory"`,
    "I",
    "eviction_manager.go:377",
  );
  journal(
    ctx,
    name,
    "kubelet",
    `"Eviction manager: pods ranked for eviction" pods=[${ranked.map((p) => `"${p.metadata.namespace}/${p.metadata.name}"`).join(",")}]`,
    "I",
    "eviction_manager.go:395",
  );
  const c = [...victim.spec.containers].sort(
    (a, b) => memOf(ctx, victim, b.name) - memOf(ctx, victim, a.name),
  )[0]!;
  const req = c.resources?.requests?.memory ?? "0";
  const message = `The node was low on resource: memory. Threshold quantity: 100Mi, available: ${Ki(available)}. Container ${c.name} was using ${Ki(memOf(ctx, victim, c.name))}, request is ${req}, has larger consumption of request. `;
  ctx.events.record(victim, "Warning", "Evicted", message, "kubelet", name);
  for (const x of victim.spec.containers)
    ctx.events.record(victim, "Normal", "Killing", `Stopping container ${x.name}`, "kubelet", name);
  const t = rfc3339(now);
  const containerStatuses = (victim.status?.containerStatuses ?? []).map((cs) => ({
    ...cs,
    ready: false,
    started: false,
    state: {
      terminated: {
        exitCode: 137,
        reason: "ContainerStatusUnknown",
        message: "The container could not be located when the pod was terminated",
        finishedAt: t,
      },
    },
  }));
  save(ctx, R.pods, {
    ...victim,
    status: {
      ...victim.status,
      phase: "Failed",
      reason: "Evicted",
      message,
      conditions: (victim.status?.conditions ?? []).map((x) =>
        x.type === "Ready" || x.type === "ContainersReady"
          ? { ...x, status: "False" as const, reason: "PodFailed", lastTransitionTime: t }
          : x,
      ),
      containerStatuses,
    },
  });
  ctx.logs.terminated(victim.metadata.uid!, c.name);
  journal(
    ctx,
    name,
    "kubelet",
    `"Eviction manager: pod is evicted successfully" pod="${victim.metadata.namespace}/${victim.metadata.name}"`,
    "I",
    "eviction_manager.go:616",
  );
}
