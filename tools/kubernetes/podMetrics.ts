import { z } from "zod";
import { tool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { iso } from "./listPods.ts";
import { toAegisError } from "./kubeErrors.ts";
import { parseQuantity } from "./quantity.ts";

/** One pod's resource usage as metrics-server last scraped it. */
export interface PodUsage {
  pod: string;
  /** When metrics-server scraped the kubelet (samples with the same timestamp are the same reading). */
  timestamp: string | null;
  containers: Array<{ name: string; memoryBytes: number; cpuMillicores: number }>;
}

interface RawPodMetrics {
  metadata?: { name?: string };
  timestamp?: string;
  containers?: Array<{ name?: string; usage?: { cpu?: string; memory?: string } }>;
}

const parameters = z.object({
  namespace: z.string().min(1).describe("Namespace."),
  labelSelector: z.string().optional().describe("Label selector, e.g. app=web."),
});

/** `k8s_pod_metrics`: current memory working set and CPU per container (metrics.k8s.io, metrics-server). */
export function createPodMetricsTool(deps: { kube: KubeClients }) {
  return tool({
    name: "k8s_pod_metrics",
    description:
      "Current memory working set (bytes) and CPU (millicores) of each container of the pods, as metrics-server " +
      "last scraped them (metrics.k8s.io). Call again later to see a trend.",
    parameters,
    execute: async ({ namespace, labelSelector }): Promise<{ pods: PodUsage[] }> => {
      try {
        const list = (await deps.kube.custom.listNamespacedCustomObject({
          group: "metrics.k8s.io",
          version: "v1beta1",
          namespace,
          plural: "pods",
          ...(labelSelector ? { labelSelector } : {}),
        })) as { items?: RawPodMetrics[] };
        return {
          pods: (list.items ?? []).map((m) => ({
            pod: m.metadata?.name ?? "",
            timestamp: iso(m.timestamp),
            containers: (m.containers ?? []).map((c) => ({
              name: c.name ?? "",
              memoryBytes: Math.round(parseQuantity(c.usage?.memory) ?? 0),
              cpuMillicores: Math.round((parseQuantity(c.usage?.cpu) ?? 0) * 1000),
            })),
          })),
        };
      } catch (err) {
        throw toAegisError(err, `pod metrics in ${namespace}`, "listing");
      }
    },
  });
}
