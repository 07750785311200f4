import { rfc3339 } from "../clock.ts";
import { selectorMatches } from "../http/selectors.ts";
import type { Container, Node, NodeSelectorTerm, Pod, Taint, Toleration } from "../types.ts";
import { parseBytes, parseCpu } from "../world.ts";
import type { SimContext } from "./context.ts";
import { claimBlocksScheduling } from "./storage.ts";
import { R, isActive, save } from "./context.ts";
import { mayPreempt, podPriority } from "./priority.ts";
import { terminatePod } from "./termination.ts";

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
  // Only pending pods are copied (they are modified below). The queue is ordered by priority, then age.
  const pending = all
    .filter((p) => !p.spec.nodeName && isActive(p))
    .map((p) => ctx.store.get(R.pods, p.metadata.namespace, p.metadata.name) as Pod)
    .sort(
      (a, b) =>
        podPriority(ctx, b) - podPriority(ctx, a) ||
        String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)),
    );
  for (const p of pending) {
    // A pod with scheduling gates is not attempted until every gate is removed (no event, as the real one).
    if ((p.spec.schedulingGates as unknown[] | undefined)?.length) {
      reportGated(ctx, p);
      continue;
    }
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
      const perNode = [...reasons.values()];
      if (!mayPreempt(ctx, p)) {
        const msg = unschedulableMessage(nodes.length, perNode, false);
        reportUnschedulable(ctx, p, `${msg} preemption: not eligible due to preemptionPolicy=Never.`);
        continue;
      }
      const chosen = preemptionCandidate(ctx, p, list, reasons);
      if (!chosen) {
        reportUnschedulable(ctx, p, unschedulableMessage(nodes.length, perNode));
        continue;
      }
      preempt(ctx, p, chosen);
      // The victims are gone; the pod is nominated and placed on the scheduler's next pass.
      p.status = { ...p.status, nominatedNodeName: chosen.placement.node.metadata.name } as Pod["status"];
      reportUnschedulable(ctx, p, unschedulableMessage(nodes.length, perNode, false));
      const left = new Set(chosen.victims.map((v) => v.metadata.uid));
      chosen.placement.pods = chosen.placement.pods.filter((x) => !left.has(x.metadata.uid));
      continue;
    }
    fits.sort(
      (a, b) => a.pods.length - b.pods.length || a.node.metadata.name.localeCompare(b.node.metadata.name),
    );
    const target = fits[0]!;
    target.pods.push(p);
    p.spec.nodeName = target.node.metadata.name;
    const { nominatedNodeName: _nominated, ...rest } = (p.status ?? {}) as { nominatedNodeName?: string };
    p.status = {
      ...rest,
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

/** The condition the API server gives a pod created with scheduling gates. */
function reportGated(ctx: SimContext, p: Pod): void {
  const prev = p.status?.conditions?.find((c) => c.type === "PodScheduled");
  if (prev?.reason === "SchedulingGated") return;
  saveNotScheduled(
    ctx,
    p,
    "SchedulingGated",
    "Scheduling is blocked due to non-empty scheduling gates",
    rfc3339(ctx.clock.now()),
  );
}

/** Marks a pod unschedulable with the scheduler's message (an event each time the message changes). */
function reportUnschedulable(ctx: SimContext, p: Pod, message: string): void {
  const now = rfc3339(ctx.clock.now());
  const prev = p.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
  if (prev?.message === message) return;
  saveNotScheduled(ctx, p, "Unschedulable", message, prev?.lastTransitionTime ?? now);
  ctx.events.record(p, "Warning", "FailedScheduling", message, "default-scheduler");
}

/** Saves a pod as Pending with its one condition: PodScheduled False for this reason, since then. */
function saveNotScheduled(ctx: SimContext, p: Pod, reason: string, message: string, since: string): void {
  p.status = {
    ...p.status,
    phase: "Pending",
    conditions: [
      {
        type: "PodScheduled",
        status: "False",
        reason,
        message,
        lastProbeTime: null,
        lastTransitionTime: since,
      },
    ],
  };
  save(ctx, R.pods, p);
}

interface Candidate {
  placement: Placement;
  victims: Pod[];
}

/** Reasons a node fails for that removing pods could cure (resources, not taints or affinity). */
const curable = (reasons: string[]) =>
  reasons.every((x) => x.startsWith("Insufficient") || x === "Too many pods");

/**
 * The DefaultPreemption plugin: on each node whose only failures are resources, remove every lower-priority
 * pod, check the pod fits, then reprieve victims from the most important down while it still fits. The node
 * whose victims' highest priority is lowest wins (then the lowest sum of priorities, the fewest victims).
 * PodDisruptionBudgets are not weighed.
 */
function preemptionCandidate(
  ctx: SimContext,
  p: Pod,
  list: readonly Placement[],
  reasons: Map<string, string[]>,
): Candidate | undefined {
  const prio = podPriority(ctx, p);
  const candidates: Candidate[] = [];
  for (const pl of list) {
    if (!curable(reasons.get(pl.node.metadata.name) ?? [])) continue;
    const lower = pl.pods
      .filter((x) => podPriority(ctx, x) < prio)
      .sort(
        (a, b) =>
          podPriority(ctx, b) - podPriority(ctx, a) ||
          String(a.status?.startTime ?? "").localeCompare(String(b.status?.startTime ?? "")),
      );
    if (lower.length === 0) continue;
    const kept = pl.pods.filter((x) => !lower.includes(x));
    if (filter({ node: pl.node, pods: kept }, p, list).length) continue;
    const victims: Pod[] = [];
    for (const v of lower) {
      if (filter({ node: pl.node, pods: [...kept, v] }, p, list).length === 0) kept.push(v);
      else victims.push(v);
    }
    candidates.push({ placement: pl, victims });
  }
  const key = (c: Candidate) => [
    Math.max(...c.victims.map((v) => podPriority(ctx, v))),
    c.victims.reduce((a, v) => a + podPriority(ctx, v), 0),
    c.victims.length,
  ];
  return candidates.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return (
      ka[0]! - kb[0]! ||
      ka[1]! - kb[1]! ||
      ka[2]! - kb[2]! ||
      a.placement.node.metadata.name.localeCompare(b.placement.node.metadata.name)
    );
  })[0];
}

/** Evicts the victims as the scheduler does: the DisruptionTarget condition, the Preempted event, a delete. */
function preempt(ctx: SimContext, p: Pod, c: Candidate): void {
  const node = c.placement.node.metadata.name;
  const now = rfc3339(ctx.clock.now());
  for (const v of c.victims) {
    const cur = ctx.store.peek(R.pods, v.metadata.namespace, v.metadata.name) as Pod | undefined;
    if (!cur) continue;
    const conditions = [
      ...(cur.status?.conditions ?? []).filter((x) => x.type !== "DisruptionTarget"),
      {
        type: "DisruptionTarget",
        status: "True" as const,
        reason: "PreemptionByScheduler",
        message: `${String(p.spec.schedulerName ?? "default-scheduler")}: preempting to accommodate a higher priority pod`,
        lastProbeTime: null,
        lastTransitionTime: now,
      },
    ];
    ctx.store.update(
      R.pods,
      {
        ...cur,
        status: { ...cur.status, conditions },
        metadata: { ...cur.metadata, resourceVersion: undefined },
      },
      "status",
    );
    ctx.events.record(
      cur,
      "Normal",
      "Preempted",
      `Preempted by pod ${p.metadata.uid} on node ${node}`,
      "default-scheduler",
    );
    for (const ctr of cur.spec.containers)
      ctx.events.record(cur, "Normal", "Killing", `Stopping container ${ctr.name}`, "kubelet", node);
    terminatePod(ctx, cur.metadata.namespace!, cur.metadata.name, undefined);
  }
}

/** The scheduler's FailedScheduling message: a sorted histogram of reasons, then what preemption could do. */
function unschedulableMessage(total: number, perNode: string[][], withPreemption = true): string {
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
  if (!withPreemption) return `0/${total} nodes are available: ${detail}.`;
  return `0/${total} nodes are available: ${detail}. preemption: 0/${total} nodes are available: ${count(preempt)}.`;
}
