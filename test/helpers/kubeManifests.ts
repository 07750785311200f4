import { stringify } from "yaml";

type Manifest = Record<string, unknown>;

/** One YAML stream: a string is taken as YAML as it stands, an object is written out as YAML. */
export function manifests(...docs: Array<string | Manifest>): string {
  return docs
    .map((d) => (typeof d === "string" ? d.replace(/^\s*---\s*\n/, "").trim() + "\n" : stringify(d)))
    .join("---\n");
}

/** Manifests of bare Nodes node-1 … node-N and the given Namespaces: the cluster a test fixture starts from. */
export function clusterManifests(nodes: number, namespaces: string[] = []): string {
  return manifests(
    ...Array.from({ length: nodes }, (_, i) => ({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: `node-${i + 1}` },
    })),
    ...namespaces.map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } })),
  );
}

export interface DeploymentOptions {
  replicas?: number;
  annotations?: Record<string, string>;
  /** Pod labels beside `app: <name>` (the selector stays `app: <name>`). */
  labels?: Record<string, string>;
  /** Pod spec fields beside `containers` (tolerations, volumes, nodeSelector …). */
  pod?: Manifest;
}

/**
 * A Deployment whose pods are labelled `app: <name>`; `containers` is the pods' container list, or one image for a
 * single container named `app`.
 */
export function deployment(
  name: string,
  namespace: string,
  containers: string | Manifest[],
  { replicas = 1, annotations, labels = {}, pod = {} }: DeploymentOptions = {},
): Manifest {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, ...labels } },
        spec: {
          ...pod,
          containers: typeof containers === "string" ? [{ name: "app", image: containers }] : containers,
        },
      },
    },
  };
}

/** A Service in front of the pods labelled `app: <name>`. */
export function service(
  name: string,
  namespace: string,
  { port = 80, targetPort = 8080 }: { port?: number; targetPort?: number } = {},
): Manifest {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace },
    spec: { selector: { app: name }, ports: [{ port, targetPort }] },
  };
}
