import { AegisError } from "../../core/errors.ts";
import type { KubeClients } from "./client.ts";
import { mergePatch } from "./kubeErrors.ts";

/** The label selector text of a selector map. */
export const selectorText = (s: Record<string, string>) =>
  Object.entries(s)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

/** A Service's selector as it is now (a copy; empty when the Service selects nothing). */
export async function readSelector(
  kube: KubeClients,
  namespace: string,
  service: string,
): Promise<Record<string, string>> {
  const svc = await kube.core.readNamespacedService({ name: service, namespace });
  return { ...(svc.spec?.selector ?? {}) };
}

/**
 * Point a Service's selector at `next`, only once a Ready pod that is not terminating matches it (a terminating
 * pod leaves the endpoints): otherwise refuse with action_failed, naming `ref`. Returns how many Ready pods match.
 */
export async function moveServiceSelector(
  kube: KubeClients,
  opts: { namespace: string; service: string; ref: string; next: Record<string, string> },
): Promise<number> {
  const labelSelector = selectorText(opts.next);
  const pods = await kube.core.listNamespacedPod({ namespace: opts.namespace, labelSelector });
  const ready = pods.items.filter(
    (p) =>
      !p.metadata?.deletionTimestamp &&
      p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
  );
  if (ready.length === 0)
    throw new AegisError("action_failed", `${opts.ref}: no Ready pod matches ${labelSelector}`);
  await kube.core.patchNamespacedService(
    { name: opts.service, namespace: opts.namespace, body: { spec: { selector: opts.next } } },
    mergePatch,
  );
  return ready.length;
}
