import type { KubeObject, PodTemplate, Pod } from "../types.ts";
import { clone } from "../types.ts";
import type { SimContext } from "./context.ts";
import { R, controllerOf, ownerRef } from "./context.ts";
import { podTemplateHash, templateKey } from "./hash.ts";

/** A ControllerRevision: one template of a StatefulSet or DaemonSet (`kubectl rollout history/undo` read it). */
export interface ControllerRevision extends KubeObject {
  data: { spec: { template: PodTemplate & { $patch?: string } } };
  revision: number;
}

/** A workload whose templates are kept as ControllerRevisions. */
interface Revisioned extends KubeObject {
  spec: { template: PodTemplate; revisionHistoryLimit?: number };
}

export const REVISION_LABEL = "controller-revision-hash";

/** The template a ControllerRevision holds (its data is the patch `rollout undo` applies). */
export const templateOf = (cr: ControllerRevision): PodTemplate => {
  const t = clone(cr.data.spec.template);
  delete t.$patch;
  return t;
};

/** The `controller-revision-hash` label value pods of this revision carry. */
export const revisionLabelOf = (cr: ControllerRevision): string =>
  cr.metadata.labels?.[REVISION_LABEL] ?? cr.metadata.name;

/** The workload's revisions, oldest first. */
export function revisions(ctx: SimContext, w: Revisioned): ControllerRevision[] {
  return (ctx.store.view(R.controllerrevisions, w.metadata.namespace) as ControllerRevision[])
    .filter((r) => controllerOf(r)?.uid === w.metadata.uid)
    .sort((a, b) => a.revision - b.revision);
}

/**
 * The revision for the current template: an equal old one is renumbered as the newest (a rollback). Pods of a
 * StatefulSet carry the revision's name as their `controller-revision-hash`, a DaemonSet's the hash alone
 * (`label: "hash"`), as the real controllers do.
 */
export function updateRevision(
  ctx: SimContext,
  w: Revisioned,
  label: "name" | "hash" = "name",
): ControllerRevision {
  const revs = revisions(ctx, w);
  const key = templateKey(w.spec.template);
  const max = Math.max(0, ...revs.map((r) => r.revision));
  const same = revs.find((r) => templateKey(templateOf(r)) === key);
  if (same) {
    if (same.revision === max) return same;
    return ctx.store.update(R.controllerrevisions, {
      ...same,
      revision: max + 1,
      metadata: { ...same.metadata, resourceVersion: undefined },
    }) as ControllerRevision;
  }
  const hash = podTemplateHash(w.spec.template);
  const name = `${w.metadata.name}-${hash}`;
  const created = ctx.store.create(R.controllerrevisions, {
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: {
      name,
      namespace: w.metadata.namespace,
      labels: { ...w.spec.template.metadata?.labels, [REVISION_LABEL]: label === "name" ? name : hash },
      ownerReferences: [ownerRef(w)],
    },
    data: { spec: { template: { ...clone(w.spec.template), $patch: "replace" } } },
    revision: max + 1,
  }) as ControllerRevision;
  // History beyond the limit goes, oldest first (never a revision a pod still runs).
  const limit = w.spec.revisionHistoryLimit ?? 10;
  const all = [...revs, created];
  const inUse = new Set(
    (ctx.store.view(R.pods, w.metadata.namespace) as readonly Pod[])
      .filter((p) => controllerOf(p)?.uid === w.metadata.uid)
      .map((p) => p.metadata.labels?.[REVISION_LABEL]),
  );
  for (const r of all.slice(0, Math.max(0, all.length - limit - 1)))
    if (!inUse.has(revisionLabelOf(r)) && r !== created)
      ctx.store.delete(R.controllerrevisions, r.metadata.namespace, r.metadata.name);
  return created;
}
