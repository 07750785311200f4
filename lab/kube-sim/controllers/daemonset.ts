import type { DaemonSet, Node, Pod } from "../types.ts";
import { randomSuffix } from "../store.ts";
import type { SimContext } from "./context.ts";
import { R, controllerOf, isActive, isPodReady, ownerRef } from "./context.ts";
import {
  type ControllerRevision,
  REVISION_LABEL,
  revisionLabelOf,
  templateOf,
  updateRevision,
} from "./revisions.ts";

/**
 * DaemonSet controller: one pod per matching node, placed directly (daemon pods tolerate cordoned nodes). Each
 * template is a ControllerRevision; with the RollingUpdate strategy (the default) pods of an older template
 * are replaced node by node: an old pod that is not ready goes at once, a ready one only while fewer than
 * `maxUnavailable` nodes lack an available pod. OnDelete replaces a pod only when someone deletes it.
 */
export function reconcileDaemonSets(ctx: SimContext): void {
  const nodes = ctx.store.view(R.nodes) as readonly Node[];
  for (const o of ctx.store.view(R.daemonsets)) reconcileOne(ctx, o as DaemonSet, nodes);
}

/** The revision each DaemonSet generation resolved to (a template's key is costly to compute every pass). */
const resolved = new WeakMap<SimContext["store"], Map<string, string>>();

function currentRevision(ctx: SimContext, ds: DaemonSet): ControllerRevision {
  let byGeneration = resolved.get(ctx.store);
  if (!byGeneration) resolved.set(ctx.store, (byGeneration = new Map()));
  const key = `${ds.metadata.uid}/${ds.metadata.generation ?? 0}`;
  const known = byGeneration.get(key);
  const cached = known
    ? (ctx.store.peek(R.controllerrevisions, ds.metadata.namespace, known) as ControllerRevision | undefined)
    : undefined;
  if (cached) return cached;
  const rev = updateRevision(ctx, ds, "hash");
  byGeneration.set(key, rev.metadata.name);
  return rev;
}

function maxUnavailableOf(ds: DaemonSet, desired: number): number {
  const v = ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1;
  const n = typeof v === "number" ? v : Math.floor((Number(v.replace("%", "")) / 100) * desired);
  return Math.max(1, n);
}

const FAILED_BACKOFF_MS = 10_000;
const MAX_FAILED_BACKOFF_MS = 15 * 60_000;

function reconcileOne(ctx: SimContext, ds: DaemonSet, nodes: readonly Node[]): void {
  const ns = ds.metadata.namespace!;
  const rev = currentRevision(ctx, ds);
  const hash = revisionLabelOf(rev);
  const sel = ds.spec.template.spec.nodeSelector ?? {};
  const eligible = nodes.filter((n) => Object.entries(sel).every(([k, v]) => n.metadata.labels?.[k] === v));
  let pods = (ctx.store.view(R.pods, ns) as readonly Pod[]).filter(
    (p) => controllerOf(p)?.uid === ds.metadata.uid && isActive(p),
  );
  const isNew = (p: Pod) => p.metadata.labels?.[REVISION_LABEL] === hash;
  const names = new Set(eligible.map((n) => n.metadata.name));

  // Rolling update: old pods are deleted within the unavailability budget; the create loop below replaces them.
  if ((ds.spec.updateStrategy?.type ?? "RollingUpdate") === "RollingUpdate") {
    const budget = maxUnavailableOf(ds, eligible.length);
    const availableOn = (node: string) =>
      pods.some((p) => p.spec.nodeName === node && !p.metadata.deletionTimestamp && isPodReady(p));
    let unavailable = eligible.filter((n) => !availableOn(n.metadata.name)).length;
    const old = pods.filter(
      (p) => !isNew(p) && names.has(p.spec.nodeName ?? "") && !p.metadata.deletionTimestamp,
    );
    const remove = (p: Pod) => {
      ctx.store.delete(R.pods, ns, p.metadata.name);
      ctx.events.record(
        ds,
        "Normal",
        "SuccessfulDelete",
        `Deleted pod: ${p.metadata.name}`,
        "daemonset-controller",
      );
    };
    for (const p of old.filter((x) => !isPodReady(x))) remove(p);
    for (const p of old.filter(isPodReady)) {
      if (unavailable >= budget) break;
      remove(p);
      unavailable += 1;
    }
    pods = pods.filter((p) => ctx.store.peek(R.pods, ns, p.metadata.name) && isActive(p));
  }

  // A daemon pod that failed (the kubelet refused it, or it was evicted) is deleted and replaced after a
  // per-node back-off that doubles up to 15 minutes, as the real controller does; until then the node waits.
  const backingOff = new Set<string>();
  for (const p of ctx.store.view(R.pods, ns) as readonly Pod[]) {
    if (controllerOf(p)?.uid !== ds.metadata.uid || p.status?.phase !== "Failed") continue;
    const node = p.spec.nodeName ?? "";
    const key = `dsFailed/${ds.metadata.uid}/${node}`;
    const now = ctx.clock.now();
    const last = ctx.world.reported.get(key);
    const wait = ctx.world.reported.get(`${key}/backoff`) ?? FAILED_BACKOFF_MS;
    if (last === undefined) ctx.world.reported.set(key, now);
    if (last === undefined || now - last < wait) {
      backingOff.add(node);
      continue;
    }
    ctx.world.reported.set(key, now);
    ctx.world.reported.set(`${key}/backoff`, Math.min(wait * 2, MAX_FAILED_BACKOFF_MS));
    ctx.events.record(
      ds,
      "Warning",
      "FailedDaemonPod",
      `Found failed daemon pod ${ns}/${p.metadata.name} on node ${node}, will try to kill it`,
      "daemonset-controller",
    );
    ctx.store.delete(R.pods, ns, p.metadata.name);
  }
  const template = templateOf(rev);
  for (const n of eligible) {
    if (pods.some((p) => p.spec.nodeName === n.metadata.name)) continue;
    if (backingOff.has(n.metadata.name)) continue;
    const pod = ctx.store.create(R.pods, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: `${ds.metadata.name}-${randomSuffix(5)}`,
        namespace: ns,
        labels: {
          ...template.metadata?.labels,
          [REVISION_LABEL]: hash,
          "pod-template-generation": String(ds.metadata.generation ?? 1),
        },
        ownerReferences: [ownerRef(ds)],
      },
      spec: { ...template.spec, nodeName: n.metadata.name },
      status: { phase: "Pending", qosClass: "BestEffort" },
    }) as Pod;
    pods.push(pod);
    ctx.events.record(
      ds,
      "Normal",
      "SuccessfulCreate",
      `Created pod: ${pod.metadata.name}`,
      "daemonset-controller",
    );
  }
  for (const p of pods.filter((x) => !names.has(x.spec.nodeName ?? "")))
    ctx.store.delete(R.pods, ns, p.metadata.name);
  const mine = pods.filter((p) => names.has(p.spec.nodeName ?? "") && !p.metadata.deletionTimestamp);
  const ready = mine.filter(isPodReady).length;
  const status = {
    currentNumberScheduled: mine.length,
    desiredNumberScheduled: eligible.length,
    numberMisscheduled: 0,
    numberReady: ready,
    numberAvailable: ready,
    ...(eligible.length - ready > 0 ? { numberUnavailable: eligible.length - ready } : {}),
    updatedNumberScheduled: mine.filter(isNew).length,
    observedGeneration: ds.metadata.generation,
  };
  if (JSON.stringify(status) !== JSON.stringify(ds.status)) {
    ctx.store.update(
      R.daemonsets,
      { ...ds, status, metadata: { ...ds.metadata, resourceVersion: undefined } },
      "status",
    );
  }
}
