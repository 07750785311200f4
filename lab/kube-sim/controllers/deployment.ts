import { rfc3339 } from "../clock.ts";
import type { Condition, Deployment, ReplicaSet } from "../types.ts";
import { clone } from "../types.ts";
import type { SimContext } from "./context.ts";
import { R, controllerOf, ownerRef, save } from "./context.ts";
import { podTemplateHash, templateKey } from "./hash.ts";

const REVISION = "deployment.kubernetes.io/revision";

const revisionOf = (rs: ReplicaSet) => Number(rs.metadata.annotations?.[REVISION] ?? 0);

function resolve(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === "number") return v;
  const pct = Number(v.replace("%", "")) / 100;
  return roundUp ? Math.ceil(pct * total) : Math.floor(pct * total);
}

/** Deployment controller: one ReplicaSet per template revision, rolling updates, status and history. */
export function reconcileDeployments(ctx: SimContext): void {
  for (const o of ctx.store.view(R.deployments)) reconcileOne(ctx, o as Deployment);
}

function ownedReplicaSets(ctx: SimContext, d: Deployment): ReplicaSet[] {
  return (ctx.store.view(R.replicasets, d.metadata.namespace) as ReplicaSet[])
    .filter((rs) => controllerOf(rs)?.uid === d.metadata.uid)
    .map((rs) => rs);
}

function setCondition(conds: Condition[], c: Condition, now: string): Condition[] {
  const prev = conds.find((x) => x.type === c.type);
  const same = prev && prev.status === c.status && prev.reason === c.reason;
  const next: Condition = {
    ...c,
    lastUpdateTime: same && c.type === "Available" ? (prev.lastUpdateTime ?? now) : now,
    lastTransitionTime: prev && prev.status === c.status ? (prev.lastTransitionTime ?? now) : now,
  };
  if (same && prev.message === c.message) next.lastUpdateTime = prev.lastUpdateTime ?? now;
  return [...conds.filter((x) => x.type !== c.type), next];
}

function reconcileOne(ctx: SimContext, d: Deployment): void {
  const ns = d.metadata.namespace!;
  const key = templateKey(d.spec.template);
  let rss = ownedReplicaSets(ctx, d);
  const maxRev = Math.max(0, ...rss.map(revisionOf));
  let newRs = rss.find((rs) => templateKey(rs.spec.template) === key);
  const replicas = d.spec.replicas ?? 1;

  if (!newRs) {
    const hash = podTemplateHash(d.spec.template);
    const template = clone(d.spec.template);
    template.metadata = {
      ...template.metadata,
      labels: { ...template.metadata?.labels, "pod-template-hash": hash },
    };
    const created = ctx.store.create(R.replicasets, {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: ns,
        labels: { ...d.spec.template.metadata?.labels, "pod-template-hash": hash },
        annotations: {
          [REVISION]: String(maxRev + 1),
          "deployment.kubernetes.io/desired-replicas": String(replicas),
          "deployment.kubernetes.io/max-replicas": String(replicas + 1),
        },
        ownerReferences: [ownerRef(d)],
      },
      spec: {
        replicas: 0,
        minReadySeconds: d.spec.minReadySeconds ?? 0,
        selector: {
          ...d.spec.selector,
          matchLabels: { ...d.spec.selector.matchLabels, "pod-template-hash": hash },
        },
        template,
      },
    }) as ReplicaSet;
    newRs = created;
    rss = [...rss, created];
  } else if (revisionOf(newRs) < maxRev) {
    // Rollback (or a template seen before): the old ReplicaSet becomes the newest revision again.
    const prior = newRs.metadata.annotations?.[REVISION];
    const history = newRs.metadata.annotations?.["deployment.kubernetes.io/revision-history"];
    const annotations = {
      ...newRs.metadata.annotations,
      [REVISION]: String(maxRev + 1),
      "deployment.kubernetes.io/revision-history": history ? `${history},${prior}` : String(prior),
    };
    newRs = save(ctx, R.replicasets, { ...newRs, metadata: { ...newRs.metadata, annotations } });
    rss = rss.map((x) => (x.metadata.uid === newRs!.metadata.uid ? newRs! : x));
  }

  const rev = String(revisionOf(newRs));
  if (d.metadata.annotations?.[REVISION] !== rev) {
    d = save(ctx, R.deployments, {
      ...d,
      metadata: { ...d.metadata, annotations: { ...d.metadata.annotations, [REVISION]: rev } },
    });
  }

  if (!d.spec.paused)
    scale(
      ctx,
      d,
      newRs,
      rss.filter((x) => x !== newRs && x.metadata.uid !== newRs!.metadata.uid),
    );
  rss = ownedReplicaSets(ctx, d);
  newRs = rss.find((x) => x.metadata.uid === newRs!.metadata.uid) ?? newRs;
  cleanupHistory(ctx, d, rss, newRs);
  updateStatus(ctx, d, newRs, rss);
}

function scaleRs(ctx: SimContext, d: Deployment, rs: ReplicaSet, to: number): void {
  const from = rs.spec.replicas ?? 0;
  if (from === to) return;
  const annotations = {
    ...rs.metadata.annotations,
    "deployment.kubernetes.io/desired-replicas": String(d.spec.replicas ?? 1),
  };
  save(ctx, R.replicasets, {
    ...rs,
    spec: { ...rs.spec, replicas: to },
    metadata: { ...rs.metadata, annotations },
  });
  ctx.events.record(
    d,
    "Normal",
    "ScalingReplicaSet",
    `Scaled ${to > from ? "up" : "down"} replica set ${rs.metadata.name} to ${to} from ${from}`,
    "deployment-controller",
  );
}

function scale(ctx: SimContext, d: Deployment, newRs: ReplicaSet, olds: ReplicaSet[]): void {
  const replicas = d.spec.replicas ?? 1;
  const oldTotal = olds.reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0);
  if (d.spec.strategy?.type === "Recreate") {
    for (const rs of olds) scaleRs(ctx, d, rs, 0);
    const oldPods = olds.reduce((n, rs) => n + (rs.status?.replicas ?? 0), 0);
    if (oldPods === 0) scaleRs(ctx, d, newRs, replicas);
    return;
  }
  const ru = d.spec.strategy?.rollingUpdate;
  const surge = resolve(ru?.maxSurge ?? "25%", replicas, true);
  let unavailable = resolve(ru?.maxUnavailable ?? "25%", replicas, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;

  let newSpec = newRs.spec.replicas ?? 0;
  if (oldTotal === 0 || newSpec > replicas) newSpec = replicas;
  else newSpec = Math.min(replicas, Math.max(newSpec, replicas + surge - oldTotal));
  scaleRs(ctx, d, newRs, newSpec);

  // Old pods go as far as availability allows: unhealthy ones first, then as many as maxUnavailable permits.
  const available = [newRs, ...olds].reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
  let canRemove = available - (replicas - unavailable);
  const byAge = [...olds].sort((a, b) => revisionOf(a) - revisionOf(b));
  for (const rs of byAge) {
    const cur = rs.spec.replicas ?? 0;
    if (cur === 0) continue;
    const unhealthy = Math.max(0, cur - (rs.status?.availableReplicas ?? 0));
    const take = Math.min(cur, unhealthy + Math.max(0, canRemove));
    canRemove -= Math.max(0, take - unhealthy);
    if (take > 0) scaleRs(ctx, d, rs, cur - take);
  }
}

function cleanupHistory(ctx: SimContext, d: Deployment, rss: ReplicaSet[], newRs: ReplicaSet): void {
  const limit = d.spec.revisionHistoryLimit ?? 10;
  const idle = rss
    .filter(
      (rs) =>
        rs.metadata.uid !== newRs.metadata.uid &&
        (rs.spec.replicas ?? 0) === 0 &&
        (rs.status?.replicas ?? 0) === 0,
    )
    .sort((a, b) => revisionOf(a) - revisionOf(b));
  for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
    ctx.store.delete(R.replicasets, rs.metadata.namespace, rs.metadata.name);
  }
}

function updateStatus(ctx: SimContext, d: Deployment, newRs: ReplicaSet, rss: ReplicaSet[]): void {
  const replicas = d.spec.replicas ?? 1;
  const sum = (f: (rs: ReplicaSet) => number | undefined) => rss.reduce((n, rs) => n + (f(rs) ?? 0), 0);
  const total = sum((rs) => rs.status?.replicas);
  const updated = newRs.status?.replicas ?? 0;
  const ready = sum((rs) => rs.status?.readyReplicas);
  const available = sum((rs) => rs.status?.availableReplicas);
  const ru = d.spec.strategy?.rollingUpdate;
  const maxUnavailable =
    d.spec.strategy?.type === "Recreate" ? 0 : resolve(ru?.maxUnavailable ?? "25%", replicas, false);
  const now = rfc3339(ctx.clock.now());
  let conds = d.status?.conditions ?? [];
  conds = setCondition(
    conds,
    available >= replicas - maxUnavailable
      ? {
          type: "Available",
          status: "True",
          reason: "MinimumReplicasAvailable",
          message: "Deployment has minimum availability.",
        }
      : {
          type: "Available",
          status: "False",
          reason: "MinimumReplicasUnavailable",
          message: "Deployment does not have minimum availability.",
        },
    now,
  );
  const oldPods = total - updated;
  const complete =
    updated === replicas &&
    available >= replicas &&
    oldPods === 0 &&
    (newRs.status?.availableReplicas ?? 0) >= replicas;
  const prevProgress = conds.find((c) => c.type === "Progressing");
  const progressed =
    !prevProgress ||
    d.status?.updatedReplicas !== updated ||
    d.status?.availableReplicas !== available ||
    d.status?.replicas !== total ||
    d.status?.observedGeneration !== d.metadata.generation;
  let progressing: Condition;
  if (complete) {
    progressing = {
      type: "Progressing",
      status: "True",
      reason: "NewReplicaSetAvailable",
      message: `ReplicaSet "${newRs.metadata.name}" has successfully progressed.`,
    };
  } else if (
    !progressed &&
    prevProgress.reason !== "NewReplicaSetAvailable" &&
    // Once timed out it stays so until the rollout progresses again (as the real controller's DeploymentTimedOut).
    (prevProgress.reason === "ProgressDeadlineExceeded" ||
      ctx.clock.now() - Date.parse(prevProgress.lastUpdateTime ?? now) >
        (d.spec.progressDeadlineSeconds ?? 600) * 1000)
  ) {
    progressing = {
      type: "Progressing",
      status: "False",
      reason: "ProgressDeadlineExceeded",
      message: `ReplicaSet "${newRs.metadata.name}" has timed out progressing.`,
    };
  } else {
    progressing = {
      type: "Progressing",
      status: "True",
      reason: "ReplicaSetUpdated",
      message: `ReplicaSet "${newRs.metadata.name}" is progressing.`,
    };
  }
  conds = setCondition(conds, progressing, now);
  // Progress (any count changed) refreshes lastUpdateTime: the progress deadline counts from there.
  if (progressed) conds = conds.map((c) => (c.type === "Progressing" ? { ...c, lastUpdateTime: now } : c));
  const status = {
    observedGeneration: d.metadata.generation,
    replicas: total,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: available,
    ...(replicas - available > 0 ? { unavailableReplicas: replicas - available } : {}),
    conditions: conds.sort((a, b) => (a.type === "Available" ? -1 : b.type === "Available" ? 1 : 0)),
  };
  if (JSON.stringify(status) !== JSON.stringify(d.status)) {
    ctx.store.update(
      R.deployments,
      { ...d, status, metadata: { ...d.metadata, resourceVersion: undefined } },
      "status",
    );
  }
}
