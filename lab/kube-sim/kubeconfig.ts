import { stringify } from "yaml";

/** A kubeconfig for one simulator: one cluster, one user (bearer token), one context, current. */
export function kubeconfigYaml(opts: {
  url: string;
  token: string;
  name?: string;
  namespace?: string;
}): string {
  const name = opts.name ?? "kube-sim";
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    // client-node refuses a plain-http server unless TLS verification is marked as skipped; kubectl ignores it.
    clusters: [{ name, cluster: { server: opts.url, ...(opts.url.startsWith("http:") ? { "insecure-skip-tls-verify": true } : {}) } }],
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
