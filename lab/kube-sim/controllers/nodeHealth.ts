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
const Ki = (b: number) => `${Math.max(0, Math.round(b / 1024))}Ki`;

/** Bytes a running container has written to its writable layer and logs (its ephemeral-storage use). */
export function containerDiskBytes(ctx: SimContext, p: Pod, name: string): number {
  const cr = ctx.world.runtimes.get(p.metadata.uid!)?.containers.get(name);
  return cr && cr.state === "running" ? (cr.diskBytes ?? 0) : 0;
}

/** The kubelet's default hard eviction threshold for the node's filesystem (nodefs.available<10%). */
export const DISK_THRESHOLD_RATIO = 0.1;
const GiB = 1024 * MiB;

/** The node's root filesystem: capacity (its ephemeral-storage), what the system and the pods use, what is left. */
export function nodeDisk(
  ctx: SimContext,
  n: Node,
  onNode: readonly Pod[],
): { capacity: number; used: number; available: number } {
  const st = ctx.world.node(n.metadata.name);
  const capacity = parseBytes(n.status?.capacity?.["ephemeral-storage"]) ?? 100 * GiB;
  let used = (st.outsideDiskGiB ?? (capacity * 0.45) / GiB) * GiB;
  for (const p of onNode) for (const c of p.spec.containers) used += containerDiskBytes(ctx, p, c.name);
  return { capacity, used, available: Math.max(0, capacity - used) };
}

type Reclaim = {
  resource: "memory" | "ephemeral-storage";
  /** The threshold as the kubelet prints it (`100Mi`, or bytes for a percentage of the filesystem). */
  threshold: string;
  available: number;
  usage: (p: Pod, container: string) => number;
};

const requestOf = (p: Pod, name: string, resource: string) =>
  parseBytes(p.spec.containers.find((c) => c.name === name)?.resources?.requests?.[resource]) ?? 0;

/**
 * The kubelet's eviction manager under memory or disk pressure: every 10 s it evicts one pod, ranked as the real
 * one ranks them (usage above requests first, then by how far above), marking it Failed/Evicted with the real
 * message and events. Controllers then replace it elsewhere (the pressure taint keeps it off this node).
 */
export function evictForPressure(ctx: SimContext, n: Node, onNode: readonly Pod[], r: Reclaim): void {
  const name = n.metadata.name;
  const now = ctx.clock.now();
  const key = `eviction/${name}`;
  if (now - (ctx.world.reported.get(key) ?? -Infinity) < EVICTION_PERIOD_MS) return;
  // Only pods the kubelet runs rank for eviction; one it has not admitted yet meets its admission instead.
  const candidates = onNode.filter(
    (p) => !p.metadata.deletionTimestamp && ctx.world.runtimes.has(p.metadata.uid!),
  );
  if (!candidates.length) return;
  ctx.world.reported.set(key, now);
  const over = (p: Pod) =>
    p.spec.containers.reduce((s, c) => s + r.usage(p, c.name) - requestOf(p, c.name, r.resource), 0);
  const ranked = [...candidates].sort(
    (a, b) => Number(over(b) > 0) - Number(over(a) > 0) || over(b) - over(a),
  );
  const victim = ranked[0]!;
  journal(
    ctx,
    name,
    "kubelet",
    `"Eviction manager: attempting to reclaim" resourceName="${r.resource}"`,
    "I",
    "eviction_manager.go:366",
  );
  journal(
    ctx,
    name,
    "kubelet",
    `"Eviction manager: must evict pod(s) to reclaim" resourceName="${r.resource}"`,
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
  // As the real message: every container using more than it requests is named.
  let message = `The node was low on resource: ${r.resource}. Threshold quantity: ${r.threshold}, available: ${Ki(r.available)}. `;
  for (const c of victim.spec.containers) {
    const used = r.usage(victim, c.name);
    if (used > requestOf(victim, c.name, r.resource))
      message += `Container ${c.name} was using ${Ki(used)}, request is ${c.resources?.requests?.[r.resource] ?? "0"}, has larger consumption of ${r.resource}. `;
  }
  evictPodByKubelet(ctx, victim, name, message);
}

/** The container that outgrew its `ephemeral-storage` limit gets its pod evicted (the real kubelet's message). */
export function evictOverDiskLimit(ctx: SimContext, n: Node, onNode: readonly Pod[]): void {
  for (const p of onNode) {
    if (p.metadata.deletionTimestamp) continue;
    const c = p.spec.containers.find((x) => {
      const limit = parseBytes(x.resources?.limits?.["ephemeral-storage"]);
      return limit !== undefined && containerDiskBytes(ctx, p, x.name) > limit;
    });
    if (c)
      evictPodByKubelet(
        ctx,
        p,
        n.metadata.name,
        `Container ${c.name} exceeded its local ephemeral storage limit "${c.resources!.limits!["ephemeral-storage"]}". `,
      );
  }
}

/** Marks the pod Failed/Evicted with `message`, as the kubelet does, with its events and journal lines. */
function evictPodByKubelet(ctx: SimContext, victim: Pod, name: string, message: string): void {
  const now = ctx.clock.now();
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
  for (const c of victim.spec.containers) ctx.logs.terminated(victim.metadata.uid!, c.name);
  journal(
    ctx,
    name,
    "kubelet",
    `"Eviction manager: pod is evicted successfully" pod="${victim.metadata.namespace}/${victim.metadata.name}"`,
    "I",
    "eviction_manager.go:616",
  );
}

/** Memory pressure: the eviction manager reclaims memory (see evictForPressure). */
export function evictForMemory(ctx: SimContext, n: Node, onNode: readonly Pod[], available: number): void {
  evictForPressure(ctx, n, onNode, {
    resource: "memory",
    threshold: "100Mi",
    available,
    usage: (p, c) => memOf(ctx, p, c),
  });
}
