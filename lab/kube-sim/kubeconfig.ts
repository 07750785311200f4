import { stringify } from "yaml";

/** Options of kubeconfigYaml. */
export interface KubeconfigOptions {
  url: string;
  token: string;
  name?: string;
  namespace?: string;
  /** CA of an HTTPS server (the simulator's self-signed certificate). */
  caPem?: string;
}

/** A kubeconfig for one simulator: one cluster, one user (bearer token), one context, current. */
export function kubeconfigYaml(opts: KubeconfigOptions): string {
  const name = opts.name ?? "kube-sim";
  const cluster: Record<string, unknown> = { server: opts.url };
  if (opts.caPem) cluster["certificate-authority-data"] = Buffer.from(opts.caPem).toString("base64");
  // client-node refuses a plain-http server unless TLS verification is marked as skipped; kubectl ignores it.
  if (opts.url.startsWith("http:")) cluster["insecure-skip-tls-verify"] = true;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster }],
    users: [{ name: `${name}-user`, user: { token: opts.token } }],
    contexts: [
      {
        name,
        context: {
          cluster: name,
          user: `${name}-user`,
          ...(opts.namespace ? { namespace: opts.namespace } : {}),
        },
      },
    ],
    "current-context": name,
    preferences: {},
  });
}
