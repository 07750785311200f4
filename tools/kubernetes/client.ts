import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  NetworkingV1Api,
  PolicyV1Api,
} from "@kubernetes/client-node";

/** The Kubernetes API clients the tools use, built once from one kubeconfig context. */
export interface KubeClients {
  core: CoreV1Api;
  apps: AppsV1Api;
  autoscaling: AutoscalingV2Api;
  policy: PolicyV1Api;
  networking: NetworkingV1Api;
  /** Aggregated and custom APIs by group/version/plural (metrics.k8s.io pod metrics). */
  custom: CustomObjectsApi;
}

/** Where the cluster's credentials come from. */
export type KubeSource =
  | { kind: "file"; path: string; context?: string | undefined }
  | { kind: "in_cluster" }
  | { kind: "string"; yaml: string };

/** A kubeconfig from a file (and context), a string (tests), or the pod's service account. */
export function loadKubeConfig(source: KubeSource): KubeConfig {
  const kc = new KubeConfig();
  if (source.kind === "file") kc.loadFromFile(source.path);
  else if (source.kind === "string") kc.loadFromString(source.yaml);
  else kc.loadFromCluster();
  if (source.kind === "file" && source.context) kc.setCurrentContext(source.context);
  return kc;
}

/** Build the clients from a kubeconfig file, a kubeconfig string (tests), or the pod's service account. */
export function createKubeClients(source: KubeSource): KubeClients {
  const kc = loadKubeConfig(source);
  return {
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    autoscaling: kc.makeApiClient(AutoscalingV2Api),
    policy: kc.makeApiClient(PolicyV1Api),
    networking: kc.makeApiClient(NetworkingV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
  };
}
