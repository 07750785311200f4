import type { ObserverDeps } from "./deps.ts";

/**
 * A service name as the caller knows it, in its namespace: `name`, `name.namespace`, or a cluster DNS name
 * (`name.namespace.svc.cluster.local`). Pure.
 */
export function serviceRef(value: string, namespace: string): { name: string; namespace: string } {
  const [name = value, ns] = value.toLowerCase().split(".");
  return { name, namespace: ns && ns !== "svc" ? ns : namespace };
}

/**
 * The Deployment behind a service the target's logs name: the one whose pod template the Service of that name
 * selects (exactly one), else a Deployment of that name. Undefined when neither exists or the choice is ambiguous.
 */
export async function deploymentBehind(deps: ObserverDeps, namespace: string, service: string) {
  const { kube } = deps;
  const svc = await kube.core.readNamespacedService({ name: service, namespace }).catch(() => null);
  const selector = Object.entries(svc?.spec?.selector ?? {});
  if (selector.length > 0) {
    const list = await kube.apps.listNamespacedDeployment({ namespace });
    const matching = list.items.filter((d) => {
      const labels = d.spec?.template.metadata?.labels ?? {};
      return selector.every(([k, v]) => labels[k] === v);
    });
    if (matching.length === 1) return matching[0]!.metadata?.name;
    if (matching.length > 1) return undefined;
  }
  const d = await kube.apps.readNamespacedDeployment({ name: service, namespace }).catch(() => null);
  return d?.metadata?.name;
}
