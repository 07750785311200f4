import type { V1ObjectMeta } from "@kubernetes/client-node";
import type { KubeClients } from "../../../tools/kubernetes/client.ts";
import type { Policy } from "../../policy/schema.ts";

/**
 * Why an object must not be touched now: one of the policy's change-freeze annotations (or labels) is set on it to
 * anything but "false". Undefined when it is not frozen.
 */
export function frozenBy(
  policy: Policy | undefined,
  meta: V1ObjectMeta | undefined,
  what: string,
): string | undefined {
  for (const key of policy?.changeFreeze.annotations ?? []) {
    const value = meta?.annotations?.[key] ?? meta?.labels?.[key];
    if (value !== undefined && value.toLowerCase() !== "false")
      return `change freeze: ${what} carries ${key}=${JSON.stringify(value)} (policy changeFreeze.annotations); no action while it is set`;
  }
  return undefined;
}

/**
 * Why a pod must not be touched now because its OWNER is frozen: the freeze annotation sits on the Deployment (or
 * StatefulSet, DaemonSet) a person manages, not on the pods it creates, so a pod inherits it through its
 * ownerReferences (pod → ReplicaSet → Deployment). Undefined when no owner is frozen or the policy names no freeze.
 */
export async function frozenOwner(
  policy: Policy | undefined,
  kube: KubeClients,
  namespace: string,
  pod: V1ObjectMeta | undefined,
): Promise<string | undefined> {
  if (!policy?.changeFreeze.annotations.length) return undefined;
  let meta = pod;
  // A pod's owners are at most two levels deep among the kinds catalog actions reach (ReplicaSet → Deployment).
  for (let depth = 0; depth < 2 && meta; depth++) {
    const owner = meta.ownerReferences?.find((o) => o.controller) ?? meta.ownerReferences?.[0];
    if (!owner) return undefined;
    const ref = { name: owner.name, namespace };
    const read = OWNER_READERS[owner.kind];
    if (!read) return undefined;
    meta = (await read(kube, ref)).metadata;
    const frozen = frozenBy(
      policy,
      meta,
      `${owner.kind.toLowerCase()} ${namespace}/${owner.name} (owner of the pod)`,
    );
    if (frozen) return frozen;
  }
  return undefined;
}

type OwnerRead = (
  kube: KubeClients,
  ref: { name: string; namespace: string },
) => Promise<{ metadata?: V1ObjectMeta }>;
const OWNER_READERS: Record<string, OwnerRead> = {
  ReplicaSet: (k, r) => k.apps.readNamespacedReplicaSet(r),
  Deployment: (k, r) => k.apps.readNamespacedDeployment(r),
  StatefulSet: (k, r) => k.apps.readNamespacedStatefulSet(r),
  DaemonSet: (k, r) => k.apps.readNamespacedDaemonSet(r),
};
