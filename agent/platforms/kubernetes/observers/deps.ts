import type { KubeClients } from "../../../../tools/kubernetes/client.ts";
import type { KubeTools } from "../tools.ts";

/** What an observer reads with: the cluster's clients and tools, and Prometheus when configured. */
export interface ObserverDeps {
  kube: KubeClients;
  tools: KubeTools;
  prometheusUrl?: string | undefined;
  /**
   * The agent's clock (epoch ms): where a history read ends. The machine's in production; a simulated cluster's in
   * the evals, whose Prometheus stamps samples with that cluster's time.
   */
  now?: (() => number) | undefined;
}
