import { rfc3339 } from "../clock.ts";
import { selectorMatches } from "../http/selectors.ts";
import type { Container, Node, NodeSelectorTerm, Pod, Taint, Toleration } from "../types.ts";
import { parseBytes, parseCpu } from "../world.ts";
import type { SimContext } from "./context.ts";
import { claimBlocksScheduling } from "./storage.ts";
import { R, isActive, save } from "./context.ts";

/** Whether a toleration tolerates a taint, by the real matching rules (Exists / Equal, empty key or effect). */
function tolerates(ts: readonly Toleration[], taint: Taint): boolean {
  return ts.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (!t.key) return t.operator === "Exists";
    if (t.key !== taint.key) return false;
    return t.operator === "Exists" || (t.value ?? "") === (taint.value ?? "");
  });
}

/** The taints the scheduler filters on: the node's own, and the not-ready/unreachable one of a NotReady node. */
function taintsOf(n: Node): Taint[] {
  const taints = [...(n.spec?.taints ?? [])];
  const ready = n.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
  if (!ready && !taints.some((t) => t.key.startsWith("node.kubernetes.io/")))
    taints.push({ key: "node.kubernetes.io/unreachable", effect: "NoSchedule" });
  return taints;
}

function matchesTerm(n: Node, term: NodeSelectorTerm): boolean {
  const labels = n.metadata.labels ?? {};
  const fields: Record<string, string> = { "metadata.name": n.metadata.name };
  const ok = (e: { key: string; operator: string; values?: string[] }, src: Record<string, string>) => {
    const v = src[e.key];
    const vals = e.values ?? [];
    switch (e.operator) {
      case "In":
        return v !== undefined && vals.includes(v);
      case "NotIn":
        return v === undefined || !vals.includes(v);
      case "Exists":
        return v !== undefined;
      case "DoesNotExist":
        return v === undefined;
      case "Gt":
        return v !== undefined && Number(v) > Number(vals[0]);
      case "Lt":
        return v !== undefined && Number(v) < Number(vals[0]);
      default:
        return false;
    }
  };
  return (
    (term.matchExpressions ?? []).every((e) => ok(e, labels)) &&
    (term.matchFields ?? []).every((e) => ok(e, fields))
  );
}

function nodeAffinityOk(n: Node, p: Pod): boolean {
  const sel = Object.entries(p.spec.nodeSelector ?? {}).every(([k, v]) => n.metadata.labels?.[k] === v);
  const terms =
    p.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  return sel && (!terms?.length || terms.some((t) => matchesTerm(n, t)));
}

/** What a container asks for (requests, defaulting to limits as the API server does). */
function requestOf(c: Container, r: "cpu" | "memory"): number {
  const q = c.resources?.requests?.[r] ?? c.resources?.limits?.[r];
  return (r === "cpu" ? parseCpu(q) : parseBytes(q)) ?? 0;
}

/** A pod's effective request: its containers' sum, or its largest init container's if that is more. */
export function podRequest(p: Pod, r: "cpu" | "memory"): number {
  const sum = p.spec.containers.reduce((a, c) => a + requestOf(c, r), 0);
  const init = Math.max(0, ...(p.spec.initContainers ?? []).map((c) => requestOf(c, r)));
  return Math.max(sum, init);
}

const BASIC = new Set(["cpu", "memory", "ephemeral-storage", "pods"]);

function extendedResources(p: Pod): string[] {
  const names = new Set<string>();
  for (const c of p.spec.containers)
    for (const k of Object.keys({ ...c.resources?.requests, ...c.resources?.limits }))
      if (!BASIC.has(k)) names.add(k);
  return [...names];
}

function extendedRequest(p: Pod, r: string): number {
  return p.spec.containers.reduce(
    (a, c) => a + Number(c.resources?.requests?.[r] ?? c.resources?.limits?.[r] ?? 0),
    0,
  );
}

interface Placement {
  node: Node;
  pods: Pod[];
}

/** Why the pod does not fit on the node: the first failing filter's reasons, as the scheduler words them. */
function filter(pl: Placement, p: Pod, all: readonly Placement[]): string[] {
  const n = pl.node;
  if (n.spec?.unschedulable) return ["node(s) were unschedulable"];
  const untolerated = taintsOf(n).find(
    (t) => (t.effect === "NoSchedule" || t.effect === "NoExecute") && !tolerates(p.spec.tolerations ?? [], t),
  );
  if (untolerated) return [`node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ""}}`];
  if (!nodeAffinityOk(n, p)) return ["node(s) didn't match Pod's node affinity/selector"];
  const out: string[] = [];
  for (const r of ["cpu", "memory"] as const) {
    const alloc = (r === "cpu" ? parseCpu : parseBytes)(n.status?.allocatable?.[r]);
    if (alloc === undefined) continue;
    const used = pl.pods.reduce((a, x) => a + podRequest(x, r), 0);
    if (used + podRequest(p, r) > alloc) out.push(`Insufficient ${r}`);
  }
  // Extended resources (nvidia.com/gpu ...): only nodes that advertise enough of them fit.
  for (const r of extendedResources(p)) {
    const alloc = Number(n.status?.allocatable?.[r] ?? 0);
    const used = pl.pods.reduce((a, x) => a + extendedRequest(x, r), 0);
    if (used + extendedRequest(p, r) > alloc) out.push(`Insufficient ${r}`);
  }
  const maxPods = Number(n.status?.allocatable?.pods ?? Infinity);
  if (pl.pods.length + 1 > maxPods) out.push("Too many pods");
  if (out.length) return out;
  const topo = (node: Node, key: string) => node.metadata.labels?.[key];
  const ns = p.metadata.namespace;
  const podsIn = (key: string, value: string | undefined) =>
    value === undefined ? [] : all.filter((x) => topo(x.node, key) === value).flatMap((x) => x.pods);
  for (const term of p.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
    const nss = term.namespaces ?? [ns];
    if (
      podsIn(term.topologyKey, topo(n, term.topologyKey)).some(
        (x) =>
          nss.includes(x.metadata.namespace) && selectorMatches(term.labelSelector ?? {}, x.metadata.labels),
      )
    )
      return ["node(s) didn't match pod anti-affinity rules"];
  }
  for (const term of p.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
    const nss = term.namespaces ?? [ns];
    if (
      !podsIn(term.topologyKey, topo(n, term.topologyKey)).some(
        (x) =>
          nss.includes(x.metadata.namespace) && selectorMatches(term.labelSelector ?? {}, x.metadata.labels),
      )
    )
      return ["node(s) didn't match pod affinity rules"];
  }
  return [];
}

/** True when new pods may be placed on the node (ignoring what already runs there). */
export function schedulable(n: Node, p: Pod): boolean {
  return filter({ node: n, pods: [] }, p, [{ node: n, pods: [] }]).length === 0;
}

/** The scheduler: places pending pods on the feasible node with the fewest pods, or says why none fits. */
export function schedulePods(ctx: SimContext): void {
  const nodes = ctx.store.view(R.nodes) as readonly Node[];
  const all = ctx.store.view(R.pods) as readonly Pod[];
  const placements = new Map<string, Placement>(nodes.map((n) => [n.metadata.name, { node: n, pods: [] }]));
  for (const p of all) if (p.spec.nodeName && isActive(p)) placements.get(p.spec.nodeName)?.pods.push(p);
  // Only pending pods are copied (they are modified below).
  const pending = all
    .filter((p) => !p.spec.nodeName && isActive(p))
    .map((p) => ctx.store.get(R.pods, p.metadata.namespace, p.metadata.name) as Pod);
  for (const p of pending) {
    const list = [...placements.values()];
    // The VolumeBinding plugin's PreFilter: a missing or unbound immediate claim rejects every node.
    const claim = claimBlocksScheduling(ctx, p);
    if (claim) {
      reportUnschedulable(
        ctx,
        p,
        `0/${nodes.length} nodes are available: ${claim}. preemption: 0/${nodes.length} nodes are available: ${nodes.length} Preemption is not helpful for scheduling.`,
      );
      continue;
    }
    const reasons = new Map<string, string[]>();
    const fits = list.filter((pl) => {
      const r = filter(pl, p, list);
      if (r.length) reasons.set(pl.node.metadata.name, r);
      return r.length === 0;
    });
    const now = rfc3339(ctx.clock.now());
    if (fits.length === 0) {
      reportUnschedulable(ctx, p, unschedulableMessage(nodes.length, [...reasons.values()]));
      continue;
    }
    fits.sort(
      (a, b) => a.pods.length - b.pods.length || a.node.metadata.name.localeCompare(b.node.metadata.name),
    );
    const target = fits[0]!;
    target.pods.push(p);
    p.spec.nodeName = target.node.metadata.name;
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
      `Successfully assigned ${p.metadata.namespace}/${p.metadata.name} to ${target.node.metadata.name}`,
      "default-scheduler",
    );
  }
}

/** Marks a pod unschedulable with the scheduler's message (an event each time the message changes). */
function reportUnschedulable(ctx: SimContext, p: Pod, message: string): void {
  const now = rfc3339(ctx.clock.now());
  const prev = p.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
  if (prev?.message === message) return;
  p.status = {
    ...p.status,
    phase: "Pending",
    conditions: [
      {
        type: "PodScheduled",
        status: "False",
        reason: "Unschedulable",
        message,
        lastProbeTime: null,
        lastTransitionTime: prev?.lastTransitionTime ?? now,
      },
    ],
  };
  save(ctx, R.pods, p);
  ctx.events.record(p, "Warning", "FailedScheduling", message, "default-scheduler");
}

/** The scheduler's FailedScheduling message: a sorted histogram of reasons, then what preemption could do. */
function unschedulableMessage(total: number, perNode: string[][]): string {
  const count = (items: string[]) => {
    const m = new Map<string, number>();
    for (const r of items) m.set(r, (m.get(r) ?? 0) + 1);
    return [...m.entries()]
      .map(([r, n]) => `${n} ${r}`)
      .sort()
      .join(", ");
  };
  // Preemption can only help where resources are short (victims would free them); not for the other filters.
  const preempt = perNode.map((r) =>
    r.every((x) => x.startsWith("Insufficient") || x === "Too many pods")
      ? "No preemption victims found for incoming pod"
      : "Preemption is not helpful for scheduling",
  );
  const detail = total === 0 ? "no nodes available to schedule pods" : count(perNode.flat());
  return `0/${total} nodes are available: ${detail}. preemption: 0/${total} nodes are available: ${count(preempt)}.`;
}
