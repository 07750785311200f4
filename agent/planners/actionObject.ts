import type { ActionId } from "../../core/catalog.ts";
import type { Decision, Evidence, Target } from "../../core/types.ts";

/** Catalog actions that change a pod's owning Deployment, never the pod itself. */
const ACTS_ON_OWNER: ReadonlySet<ActionId> = new Set<ActionId>([
  "rollback_deployment",
  "scale_deployment",
  "raise_hpa_limits",
  "rollout_restart",
  "add_kafka_consumers",
]);

/**
 * The object a decision's action acts on, as `decision.target` names it: for an action on a Deployment taken for an
 * alert about one of its pods, the owning Deployment (read from the investigation's rollout history), not the pod.
 * Any planner's decision goes through this. Pure.
 */
export function withActionObject(decision: Decision, target: Target, evidence: Evidence): Decision {
  if (decision.action === "none" || !ACTS_ON_OWNER.has(decision.action) || decision.actsOn) return decision;
  if (target.kind !== "k8s_workload" || target.workload !== "pod") return decision;
  const history = evidence.observations.k8s_rollout_history as { name?: unknown } | undefined;
  const owner = typeof history?.name === "string" ? history.name : undefined;
  if (!owner) return decision;
  return { ...decision, target: `${target.namespace}/deployment/${owner}` };
}

/**
 * The ledger key of the object the decision's action changes: the owning Deployment's key when withActionObject
 * named a pod's owner, so an action taken for a pod alert and one taken for its Deployment's alert are recorded
 * against the same object (caps and a person's undo compare these); `identity` (the located target's) otherwise.
 * Pure.
 */
export function actionObjectKey(decision: Decision, target: Target, identity: string): string {
  if (!ACTS_ON_OWNER.has(decision.action)) return identity;
  if (target.kind !== "k8s_workload" || target.workload !== "pod") return identity;
  const prefix = `${target.namespace}/deployment/`;
  const owner = decision.target.startsWith(prefix) ? decision.target.slice(prefix.length) : "";
  if (!owner || owner.includes("/")) return identity;
  return `k8s:${target.cluster ?? ""}:${prefix}${owner}`;
}

/**
 * The evidence an action rests on: the dependency's own, when the decision acts on the dependency the target's
 * symptom comes from (`Decision.actsOn`); the target's otherwise. Plausibility and learning read this. Pure.
 */
export function evidenceActedOn(decision: Decision, evidence: Evidence): Evidence {
  const dep = evidence.dependency;
  if (!decision.actsOn || !dep || dep.target.key !== decision.actsOn.key) return evidence;
  return { ...evidence, signals: dep.signals };
}
