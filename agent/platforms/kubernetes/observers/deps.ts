import type { KubeClients } from "../../../../tools/kubernetes/client.ts";
import type { KubeTools } from "../tools.ts";

/** What an observer reads with: the cluster's clients and tools, and Prometheus when configured. */
export interface ObserverDeps {
  kube: KubeClients;
  tools: KubeTools;
  prometheusUrl?: string | undefined;
}
