import type { KubeObject, LabelSelector, Pod, PodTemplate } from "../types.ts";
import { clone } from "../types.ts";
import type { SimContext } from "./context.ts";
import { R, controllerOf, isPodReady, ownerRef } from "./context.ts";
import {
  type ControllerRevision,
  REVISION_LABEL,
  revisions,
  templateOf,
  updateRevision,
} from "./revisions.ts";
import { admitPriority } from "./priority.ts";
import { admitServiceAccount } from "./workloadRbac.ts";
import { quotaRefusal } from "./quota.ts";
import type { PersistentVolumeClaim } from "./storage.ts";

export interface StatefulSet extends KubeObject {
  spec: {
    replicas?: number;
    serviceName?: string;
    selector: LabelSelector;
    template: PodTemplate;
    volumeClaimTemplates?: PersistentVolumeClaim[];
    podManagementPolicy?: "OrderedReady" | "Parallel";
    updateStrategy?: { type?: "RollingUpdate" | "OnDelete"; rollingUpdate?: { partition?: number } };
    revisionHistoryLimit?: number;
    minReadySeconds?: number;
  };
  status?: Record<string, unknown>;
}

const ordinalOf = (sts: StatefulSet, p: Pod): number => {
  const m = new RegExp(`^${sts.metadata.name}-(\\d+)$`).exec(p.metadata.name);
  return m ? Number(m[1]) : -1;
};

/**
 * The StatefulSet controller: pods `<name>-<ordinal>` with stable claims `<template>-<name>-<ordinal>` from
 * `volumeClaimTemplates`; OrderedReady creates them one at a time in order and waits for each to be Running
 * and Ready (Parallel does not wait), scales down from the highest ordinal; each template is a
 * ControllerRevision (`kubectl rollout history/undo` read and apply them); a RollingUpdate replaces pods from
 * the highest ordinal down to the partition, one at a time, each once the others are Ready. As in a real
 * cluster, a rollout stuck on a broken pod stays stuck after `rollout undo` until that pod is deleted.
 */
export function reconcileStatefulSets(ctx: SimContext): void {
  for (const o of ctx.store.view(R.statefulsets)) reconcileOne(ctx, o as StatefulSet);
}

function reconcileOne(ctx: SimContext, sts: StatefulSet): void {
  const ns = sts.metadata.namespace!;
  const name = sts.metadata.name;
  const update = updateRevision(ctx, sts);
  const revs = revisions(ctx, sts);
  const currentName = (sts.status?.currentRevision as string | undefined) ?? update.metadata.name;
  const current = revs.find((r) => r.metadata.name === currentName) ?? update;
  const replicas = sts.spec.replicas ?? 1;
  const ordered = (sts.spec.podManagementPolicy ?? "OrderedReady") === "OrderedReady";
  const rollingUpdate = (sts.spec.updateStrategy?.type ?? "RollingUpdate") === "RollingUpdate";
  const partition = sts.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
  const say = (type: "Normal" | "Warning", reason: string, message: string) =>
    ctx.events.record(sts, type, reason, message, "statefulset-controller");

  let pods = (ctx.store.view(R.pods, ns) as readonly Pod[]).filter(
    (p) => controllerOf(p)?.uid === sts.metadata.uid,
  );
  const byOrdinal = new Map(pods.map((p) => [ordinalOf(sts, p), p]));
  const runningReady = (p: Pod | undefined) => !!p && p.status?.phase === "Running" && isPodReady(p);
  const currentReplicas = Number(sts.status?.currentReplicas ?? 0);

  // Create (or replace failed) pods in ordinal order.
  for (let ord = 0; ord < replicas; ord++) {
    let p = byOrdinal.get(ord);
    if (p && (p.status?.phase === "Failed" || p.status?.phase === "Succeeded")) {
      ctx.store.delete(R.pods, ns, p.metadata.name);
      ctx.logs.forget(p.metadata.uid!);
      say("Normal", "SuccessfulDelete", `delete Pod ${p.metadata.name} in StatefulSet ${name} successful`);
      byOrdinal.delete(ord);
      p = undefined;
    }
    if (!p) {
      const useCurrent = rollingUpdate && ((partition === 0 && ord < currentReplicas) || ord < partition);
      const rev = useCurrent ? current : update;
      const created = createPod(ctx, sts, ord, rev, templateOf(rev));
      if (created) byOrdinal.set(ord, created);
      if (ordered) break;
      continue;
    }
    if (p.metadata.deletionTimestamp && ordered) break;
    if (!runningReady(p) && ordered) break;
  }
  // Scale down: the highest ordinal first, once every lower pod is Running and Ready (OrderedReady).
  const extra = [...byOrdinal.entries()].filter(([o]) => o >= replicas).sort((a, b) => b[0] - a[0]);
  const lowerReady = [...byOrdinal.entries()].filter(([o]) => o < replicas).every(([, p]) => runningReady(p));
  for (const [, p] of extra) {
    if (ordered && !lowerReady) break;
    if (p.metadata.deletionTimestamp) {
      if (ordered) break;
      continue;
    }
    ctx.store.delete(R.pods, ns, p.metadata.name);
    ctx.logs.forget(p.metadata.uid!);
    say("Normal", "SuccessfulDelete", `delete Pod ${p.metadata.name} in StatefulSet ${name} successful`);
    if (ordered) break;
  }
  // Rolling update: the highest ordinal not at the update revision goes, once all pods are Running and Ready.
  pods = (ctx.store.view(R.pods, ns) as readonly Pod[]).filter(
    (p) => controllerOf(p)?.uid === sts.metadata.uid,
  );
  const live = pods.filter((p) => ordinalOf(sts, p) < replicas);
  if (rollingUpdate && live.length === replicas && live.every(runningReady)) {
    for (let ord = replicas - 1; ord >= partition; ord--) {
      const p = live.find((x) => ordinalOf(sts, x) === ord)!;
      if (p.metadata.labels?.[REVISION_LABEL] !== update.metadata.name && !p.metadata.deletionTimestamp) {
        ctx.store.delete(R.pods, ns, p.metadata.name);
        ctx.logs.forget(p.metadata.uid!);
        say("Normal", "SuccessfulDelete", `delete Pod ${p.metadata.name} in StatefulSet ${name} successful`);
        break;
      }
    }
  }
  pods = (ctx.store.view(R.pods, ns) as readonly Pod[]).filter(
    (p) => controllerOf(p)?.uid === sts.metadata.uid,
  );
  updateStatus(ctx, sts, pods, current, update);
}

function createPod(
  ctx: SimContext,
  sts: StatefulSet,
  ord: number,
  rev: ControllerRevision,
  template: PodTemplate,
): Pod | undefined {
  const ns = sts.metadata.namespace!;
  const podName = `${sts.metadata.name}-${ord}`;
  const claims = (sts.spec.volumeClaimTemplates ?? []).map((t) => ({
    volume: t.metadata.name,
    claim: `${t.metadata.name}-${podName}`,
    t,
  }));
  for (const c of claims) {
    if (ctx.store.peek(R.pvcs, ns, c.claim)) continue;
    ctx.store.create(R.pvcs, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: {
        name: c.claim,
        namespace: ns,
        labels: { ...sts.spec.selector.matchLabels, ...c.t.metadata.labels },
      },
      spec: { accessModes: ["ReadWriteOnce"], volumeMode: "Filesystem", ...clone(c.t.spec) },
      status: { phase: "Pending" },
    });
    ctx.events.record(
      sts,
      "Normal",
      "SuccessfulCreate",
      `create Claim ${c.claim} Pod ${podName} in StatefulSet ${sts.metadata.name} success`,
      "statefulset-controller",
    );
  }
  const spec = clone(template.spec);
  spec.volumes = [
    ...(spec.volumes ?? []).filter((v) => !claims.some((c) => c.volume === v.name)),
    ...claims.map((c) => ({ name: c.volume, persistentVolumeClaim: { claimName: c.claim } })),
  ];
  spec.hostname = podName;
  if (sts.spec.serviceName) spec.subdomain = sts.spec.serviceName;
  const draft = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: podName,
      namespace: ns,
      labels: {
        ...template.metadata?.labels,
        [REVISION_LABEL]: rev.metadata.name,
        "statefulset.kubernetes.io/pod-name": podName,
        "apps.kubernetes.io/pod-index": String(ord),
      },
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      ownerReferences: [ownerRef(sts)],
    },
    spec,
    status: { phase: "Pending", qosClass: "BestEffort" },
  } as Pod;
  const refused = admitServiceAccount(ctx, draft) ?? admitPriority(ctx, draft) ?? quotaRefusal(ctx, draft);
  if (refused) {
    ctx.events.record(
      sts,
      "Warning",
      "FailedCreate",
      `create Pod ${podName} in StatefulSet ${sts.metadata.name} failed error: ${refused}`,
      "statefulset-controller",
    );
    return undefined;
  }
  const pod = ctx.store.create(R.pods, draft) as Pod;
  ctx.events.record(
    sts,
    "Normal",
    "SuccessfulCreate",
    `create Pod ${podName} in StatefulSet ${sts.metadata.name} successful`,
    "statefulset-controller",
  );
  return pod;
}

function updateStatus(
  ctx: SimContext,
  sts: StatefulSet,
  pods: Pod[],
  current: ControllerRevision,
  update: ControllerRevision,
): void {
  const live = pods.filter((p) => !p.metadata.deletionTimestamp);
  const at = (r: ControllerRevision) =>
    live.filter((p) => p.metadata.labels?.[REVISION_LABEL] === r.metadata.name);
  const ready = live.filter(isPodReady).length;
  const replicas = sts.spec.replicas ?? 1;
  const updated = at(update).length;
  // The rollout completes when every pod runs the update revision and is ready: current becomes update.
  const done = updated === replicas && live.length === replicas && ready === replicas;
  const currentRev = done ? update : current;
  const status = {
    observedGeneration: sts.metadata.generation,
    replicas: live.length,
    readyReplicas: ready,
    currentReplicas: at(currentRev).length,
    updatedReplicas: updated,
    currentRevision: currentRev.metadata.name,
    updateRevision: update.metadata.name,
    collisionCount: 0,
    availableReplicas: ready,
  };
  if (JSON.stringify(status) !== JSON.stringify(sts.status))
    ctx.store.update(
      R.statefulsets,
      { ...sts, status, metadata: { ...sts.metadata, resourceVersion: undefined } },
      "status",
    );
}
