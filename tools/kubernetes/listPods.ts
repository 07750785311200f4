import type { V1ContainerStatus, V1Pod } from "@kubernetes/client-node";
import { z } from "zod";
import { tool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { toAegisError } from "./kubeErrors.ts";
import { parseQuantity } from "./quantity.ts";

/** One container of a pod, as the kubelet reports it. */
export interface ContainerSnapshot {
  name: string;
  ready: boolean;
  restartCount: number;
  /** Why the container is not running now (CrashLoopBackOff, CreateContainerConfigError, ...). */
  waiting?: { reason: string; message: string };
  runningSince?: string;
  /** How the previous run ended (OOMKilled, Error, ...). */
  lastTerminated?: { reason: string; exitCode: number; finishedAt: string | null };
  /** The container's memory limit from the pod spec, in bytes, when it has one. */
  memoryLimitBytes?: number;
}

/** A pod, trimmed to what diagnosis and verification read. */
export interface PodSnapshot {
  name: string;
  namespace: string;
  uid: string;
  node: string | null;
  phase: string;
  ready: boolean;
  createdAt: string | null;
  deleting: boolean;
  /** When a deleting pod's grace period ends (its deletionTimestamp); a pod still here after it is stuck. */
  deletionDeadline?: string;
  ownerKind: string | null;
  ownerName: string | null;
  /** The ReplicaSet template hash, which ties the pod to a deployment revision. */
  templateHash: string | null;
  containers: ContainerSnapshot[];
  /** Init containers, in order (absent when the pod has none). */
  initContainers?: ContainerSnapshot[];
}

/** ISO text of a client-node timestamp (a Date once deserialized), or null. */
export function iso(t: Date | string | undefined | null): string | null {
  if (!t) return null;
  const d = t instanceof Date ? t : new Date(t);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** Trim a pod to its snapshot. */
export function podSnapshot(p: V1Pod): PodSnapshot {
  const owner = p.metadata?.ownerReferences?.find((o) => o.controller) ?? p.metadata?.ownerReferences?.[0];
  return {
    name: p.metadata?.name ?? "",
    namespace: p.metadata?.namespace ?? "",
    uid: p.metadata?.uid ?? "",
    node: p.spec?.nodeName ?? null,
    phase: p.status?.phase ?? "Unknown",
    ready: p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
    createdAt: iso(p.metadata?.creationTimestamp),
    deleting: Boolean(p.metadata?.deletionTimestamp),
    ...(p.metadata?.deletionTimestamp ? { deletionDeadline: iso(p.metadata.deletionTimestamp)! } : {}),
    ownerKind: owner?.kind ?? null,
    ownerName: owner?.name ?? null,
    templateHash: p.metadata?.labels?.["pod-template-hash"] ?? null,
    ...(p.status?.initContainerStatuses?.length
      ? { initContainers: p.status.initContainerStatuses.map((c) => containerOf(p, c)) }
      : {}),
    containers: (p.status?.containerStatuses ?? []).map((c) => containerOf(p, c)),
  };
}

/** One container's status, trimmed (app and init containers alike). */
function containerOf(p: V1Pod, c: V1ContainerStatus): ContainerSnapshot {
  const out: ContainerSnapshot = { name: c.name, ready: c.ready, restartCount: c.restartCount };
  if (c.state?.waiting) {
    out.waiting = { reason: c.state.waiting.reason ?? "", message: c.state.waiting.message ?? "" };
  }
  const since = iso(c.state?.running?.startedAt);
  if (since) out.runningSince = since;
  const limit = parseQuantity(p.spec?.containers.find((s) => s.name === c.name)?.resources?.limits?.memory);
  if (limit !== undefined) out.memoryLimitBytes = limit;
  const last = c.lastState?.terminated;
  if (last) {
    out.lastTerminated = {
      reason: last.reason ?? "",
      exitCode: last.exitCode,
      finishedAt: iso(last.finishedAt),
    };
  }
  return out;
}

const parameters = z.object({
  namespace: z.string().min(1).optional().describe("Namespace; all namespaces when absent."),
  labelSelector: z.string().optional().describe("Label selector, e.g. app=web."),
  node: z.string().optional().describe("Only pods scheduled on this node."),
});

/** `k8s_list_pods`: pods with container states, restart counts, last termination and waiting reasons. */
export function createListPodsTool(deps: { kube: KubeClients }) {
  return tool({
    name: "k8s_list_pods",
    description:
      "List pods with their node, readiness, owner, revision hash and per-container state: restart " +
      "count, waiting reason (CrashLoopBackOff, CreateContainerConfigError), last termination (OOMKilled).",
    parameters,
    execute: async ({ namespace, labelSelector, node }): Promise<{ pods: PodSnapshot[] }> => {
      const fieldSelector = node ? `spec.nodeName=${node}` : undefined;
      const q = { ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) };
      try {
        const list = namespace
          ? await deps.kube.core.listNamespacedPod({ namespace, ...q })
          : await deps.kube.core.listPodForAllNamespaces(q);
        return { pods: list.items.map(podSnapshot) };
      } catch (err) {
        throw toAegisError(err, `pods in ${namespace ?? "all namespaces"}`, "listing");
      }
    },
  });
}
