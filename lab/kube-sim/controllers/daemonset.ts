import type { DaemonSet, Node, Pod } from "../types.ts";
import { clone } from "../types.ts";
import { randomSuffix } from "../store.ts";
import type { SimContext } from "./context.ts";
import { R, controllerOf, isActive, isPodReady, ownerRef } from "./context.ts";

/** DaemonSet controller: one pod per matching node, placed directly (daemon pods tolerate cordoned nodes). */
export function reconcileDaemonSets(ctx: SimContext): void {
  const nodes = ctx.store.view(R.nodes) as readonly Node[];
  for (const o of ctx.store.view(R.daemonsets)) {
    const ds = o as DaemonSet;
    const ns = ds.metadata.namespace!;
    const sel = ds.spec.template.spec.nodeSelector ?? {};
    const eligible = nodes.filter((n) => Object.entries(sel).every(([k, v]) => n.metadata.labels?.[k] === v));
    const pods = (ctx.store.view(R.pods, ns) as readonly Pod[]).filter(
      (p) => controllerOf(p)?.uid === ds.metadata.uid && isActive(p),
    );
    for (const n of eligible) {
      if (pods.some((p) => p.spec.nodeName === n.metadata.name)) continue;
      const t = clone(ds.spec.template);
      const pod = ctx.store.create(R.pods, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: `${ds.metadata.name}-${randomSuffix(5)}`,
          namespace: ns,
          labels: t.metadata?.labels,
          ownerReferences: [ownerRef(ds)],
        },
        spec: { ...t.spec, nodeName: n.metadata.name },
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
    const names = new Set(eligible.map((n) => n.metadata.name));
    for (const p of pods.filter((x) => !names.has(x.spec.nodeName ?? "")))
      ctx.store.delete(R.pods, ns, p.metadata.name);
    const mine = pods.filter((p) => names.has(p.spec.nodeName ?? ""));
    const ready = mine.filter(isPodReady).length;
    const status = {
      currentNumberScheduled: mine.length,
      desiredNumberScheduled: eligible.length,
      numberMisscheduled: 0,
      numberReady: ready,
      numberAvailable: ready,
      updatedNumberScheduled: mine.length,
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
}
