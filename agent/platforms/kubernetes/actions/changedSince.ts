import type { ActionId } from "../../../../core/catalog.ts";
import type { ActionRecord, Target } from "../../../../core/types.ts";
import { LIMIT_RPS } from "../../../../tools/kubernetes/rateLimitTraffic.ts";
import { readRollout } from "../../../../tools/kubernetes/rolloutHistory.ts";
import type { ActionContext } from "./action.ts";

/** Reads the object now and says, in plain words, what changed since the action that its undo would overwrite. */
type ChangedSince = (ctx: ActionContext, record: ActionRecord, target: Target) => Promise<string | undefined>;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

async function deploymentOf(ctx: ActionContext, record: ActionRecord, target: Target) {
  const t = ctx.workload(target);
  const name = str(record.result?.deployment) ?? (await ctx.mustDeployment(t));
  return { namespace: t.namespace, name, rollout: await readRollout(ctx.kube, t.namespace, name) };
}

/** The replica count the action set is still the one the Deployment wants. */
const replicasKept: ChangedSince = async (ctx, record, target) => {
  const set = record.result?.replicas;
  if (typeof set !== "number") return undefined;
  const { namespace, name, rollout } = await deploymentOf(ctx, record, target);
  if (rollout.replicas === set) return undefined;
  return (
    `deployment ${namespace}/${name} now wants ${rollout.replicas} replica(s), not the ${set} ${record.action} set: ` +
    `it was scaled again since, and the undo would overwrite that with ${String(record.result?.previousReplicas)}`
  );
};

/**
 * Rollback and undo both move the Deployment between ReplicaSets; the undo is only what the person expects while
 * the Deployment still runs the ReplicaSet the rollback made current (not a newer rollout made since).
 */
const sameRolloutAsTheRollback: ChangedSince = async (ctx, record, target) => {
  const hash = str(record.result?.toTemplateHash);
  if (!hash) return undefined;
  const { namespace, name, rollout } = await deploymentOf(ctx, record, target);
  const current = rollout.revisions.find((r) => r.revision === rollout.revision);
  if (!current || current.templateHash === hash) return undefined;
  const images = current.images.length > 0 ? ` (${current.images.join(", ")})` : "";
  return (
    `deployment ${namespace}/${name} was rolled out again after the rollback: it runs revision ${rollout.revision}` +
    `${images}, ReplicaSet ${current.name}, not the ReplicaSet ${str(record.result?.toReplicaSet) ?? hash} ` +
    `the rollback left it on; the undo would replace that newer rollout`
  );
};

const hpaKept: ChangedSince = async (ctx, record, target) => {
  const r = record.result;
  if (typeof r?.hpa !== "string" || typeof r.maxReplicas !== "number") return undefined;
  const namespace = ctx.workload(target).namespace;
  const hpa = await ctx.kube.autoscaling.readNamespacedHorizontalPodAutoscaler({ name: r.hpa, namespace });
  const max = hpa.spec?.maxReplicas;
  if (max === r.maxReplicas) return undefined;
  return `HPA ${namespace}/${r.hpa} now allows at most ${String(max)} replicas, not the ${r.maxReplicas} ${record.action} set: it was changed since, and the undo would overwrite that`;
};

const limitKept: ChangedSince = async (ctx, record, target) => {
  const r = record.result;
  if (typeof r?.ingress !== "string" || r.limitRps === undefined) return undefined;
  const t = ctx.workload(target);
  const ing = ctx.mustSettings(t, "ingress").value;
  const namespace = ing.namespace ?? t.namespace;
  const now = (await ctx.kube.networking.readNamespacedIngress({ name: r.ingress, namespace })).metadata
    ?.annotations?.[LIMIT_RPS];
  if (now === String(r.limitRps)) return undefined;
  return `Ingress ${namespace}/${r.ingress} now limits to ${now ?? "no limit"} rps, not the ${String(r.limitRps)} ${record.action} set: it was changed since, and the undo would overwrite that`;
};

const selectorKept: ChangedSince = async (ctx, record, target) => {
  const r = record.result;
  if (typeof r?.service !== "string" || typeof r.selectorKey !== "string" || typeof r.to !== "string")
    return undefined;
  const t = ctx.workload(target);
  const namespace = ctx.mustSettings(t, "database").value.namespace ?? t.namespace;
  const svc = await ctx.kube.core.readNamespacedService({ name: r.service, namespace });
  const now = svc.spec?.selector?.[r.selectorKey];
  if (now === r.to) return undefined;
  return `Service ${namespace}/${r.service} now selects ${r.selectorKey}=${now ?? "(unset)"}, not ${r.to} as the failover left it: it was changed since, and the undo would overwrite that`;
};

/** Two string maps (selectors, weights) hold the same keys and values. */
function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === a[k]);
}

const stringMap = (v: unknown): Record<string, string> | undefined =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, string>) : undefined;

/** The Service still selects exactly what the reroute pinned it to (no other pin, no hand edit since). */
const rerouteKept: ChangedSince = async (ctx, record) => {
  const r = record.result;
  const set = stringMap(r?.selector);
  if (typeof r?.service !== "string" || typeof r.namespace !== "string" || !set) return undefined;
  const svc = await ctx.kube.core.readNamespacedService({ name: r.service, namespace: r.namespace });
  const now = svc.spec?.selector ?? {};
  if (sameMap(set, now)) return undefined;
  return (
    `Service ${r.namespace}/${r.service} now selects ${JSON.stringify(now)}, not ${JSON.stringify(set)} as ` +
    `${record.action} left it: it was changed since, and the undo would overwrite that with ${JSON.stringify(r.previousSelector ?? {})}`
  );
};

/** The node is still cordoned: uncordoned by hand since, the undo has nothing left to do. */
const stillCordoned: ChangedSince = async (ctx, record, target) => {
  const name = str(record.result?.node) ?? ctx.nodeName(target);
  const node = await ctx.kube.core.readNode({ name });
  if (node.spec?.unschedulable === true) return undefined;
  return `node ${name} is schedulable again: it was uncordoned since the drain, so the undo has nothing to do (pods may already run on it)`;
};

/** The traffic weights are still the ones the failover set (nobody moved traffic back or elsewhere since). */
const weightsKept: ChangedSince = async (ctx, record, target) => {
  const set = stringMap(record.result?.weights);
  if (!set) return undefined;
  const f = ctx.mustSettings(ctx.workload(target), "failover").value;
  const now = await ctx.regions.weightsNow(f);
  if (sameMap(set, now)) return undefined;
  return (
    `the traffic weights in ConfigMap ${f.weights.namespace}/${f.weights.configMap} are now ${JSON.stringify(now)}, ` +
    `not ${JSON.stringify(set)} as ${record.action} left them: they were changed since, and the undo would overwrite ` +
    `that with ${JSON.stringify(record.result?.previousWeights ?? {})}`
  );
};

/** Per action with an undo: the check that the object is still as the action left it. */
export const CHANGED_SINCE: Partial<Record<ActionId, ChangedSince>> = {
  scale_deployment: replicasKept,
  add_kafka_consumers: replicasKept,
  rollback_deployment: sameRolloutAsTheRollback,
  raise_hpa_limits: hpaKept,
  rate_limit_traffic: limitKept,
  failover_database: selectorKept,
  reroute_traffic: rerouteKept,
  cordon_drain_node: stillCordoned,
  failover_region: weightsKept,
};
