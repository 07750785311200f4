import type { V1Deployment, V1PodTemplateSpec, V1ReplicaSet } from "@kubernetes/client-node";
import { z } from "zod";
import { tool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { deploymentParams } from "./params.ts";
import { iso } from "./listPods.ts";
import { toAegisError } from "./kubeErrors.ts";

const REVISION = "deployment.kubernetes.io/revision";
const REVISION_HISTORY = "deployment.kubernetes.io/revision-history";

/** One revision of a deployment: the ReplicaSet that holds its pod template. */
export interface RevisionSnapshot {
  name: string;
  revision: number;
  templateHash: string | null;
  replicas: number;
  readyReplicas: number;
  createdAt: string | null;
  images: string[];
  /** The pod template, without the pod-template-hash label (what a rollback writes back). */
  template: V1PodTemplateSpec;
  /** Revisions this ReplicaSet held before (set when a rollback made an old template the newest again). */
  revisionHistory?: number[];
}

/** A deployment and its rollout history, newest revision first. */
export interface DeploymentSnapshot {
  name: string;
  namespace: string;
  uid: string;
  replicas: number;
  readyReplicas: number;
  availableReplicas: number;
  updatedReplicas: number;
  generation: number;
  observedGeneration: number;
  revision: number;
  selector: string;
  conditions: Array<{ type: string; status: string; reason: string; message: string }>;
  revisions: RevisionSnapshot[];
}

/** The label selector of a deployment as a string (`a=b,c=d`). */
export function selectorOf(d: V1Deployment): string {
  return Object.entries(d.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

function revisionOf(rs: V1ReplicaSet): RevisionSnapshot {
  const template = JSON.parse(JSON.stringify(rs.spec?.template ?? {})) as V1PodTemplateSpec;
  if (template.metadata?.labels) delete template.metadata.labels["pod-template-hash"];
  const history = rs.metadata?.annotations?.[REVISION_HISTORY];
  return {
    ...(history ? { revisionHistory: history.split(",").map(Number).filter(Number.isFinite) } : {}),
    name: rs.metadata?.name ?? "",
    revision: Number(rs.metadata?.annotations?.[REVISION] ?? 0),
    templateHash: rs.metadata?.labels?.["pod-template-hash"] ?? null,
    replicas: rs.status?.replicas ?? 0,
    readyReplicas: rs.status?.readyReplicas ?? 0,
    createdAt: iso(rs.metadata?.creationTimestamp),
    images: (rs.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? ""),
    template,
  };
}

/** Read a deployment and the ReplicaSets it owns. */
export async function readRollout(
  kube: KubeClients,
  namespace: string,
  name: string,
): Promise<DeploymentSnapshot> {
  try {
    const d = await kube.apps.readNamespacedDeployment({ name, namespace });
    const selector = selectorOf(d);
    const rss = await kube.apps.listNamespacedReplicaSet({ namespace, labelSelector: selector });
    const owned = rss.items.filter((rs) =>
      rs.metadata?.ownerReferences?.some((o) => o.uid === d.metadata?.uid),
    );
    return {
      name,
      namespace,
      uid: d.metadata?.uid ?? "",
      replicas: d.spec?.replicas ?? 1,
      readyReplicas: d.status?.readyReplicas ?? 0,
      availableReplicas: d.status?.availableReplicas ?? 0,
      updatedReplicas: d.status?.updatedReplicas ?? 0,
      generation: d.metadata?.generation ?? 0,
      observedGeneration: d.status?.observedGeneration ?? 0,
      revision: Number(d.metadata?.annotations?.[REVISION] ?? 0),
      selector,
      conditions: (d.status?.conditions ?? []).map((c) => ({
        type: c.type,
        status: c.status,
        reason: c.reason ?? "",
        message: c.message ?? "",
      })),
      revisions: owned.map(revisionOf).sort((a, b) => b.revision - a.revision),
    };
  } catch (err) {
    throw toAegisError(err, `deployment ${namespace}/${name}`, "reading");
  }
}

const parameters = z.object({
  ...deploymentParams,
});

/** `k8s_rollout_history`: a deployment's status and its revisions (ReplicaSets), newest first. */
export function createRolloutHistoryTool(deps: { kube: KubeClients }) {
  return tool({
    name: "k8s_rollout_history",
    description:
      "Read a deployment's replicas, conditions and current revision, and its rollout history: each " +
      "ReplicaSet with revision number, images, replicas and ready replicas, newest first.",
    parameters,
    execute: async ({ namespace, deployment }) => {
      const snap = await readRollout(deps.kube, namespace, deployment);
      // The full templates are for rollback; the model gets the images.
      return { ...snap, revisions: snap.revisions.map(({ template: _t, ...r }) => r) };
    },
  });
}
