import type { V1PersistentVolume, V1PersistentVolumeClaim } from "@kubernetes/client-node";
import type { Signal } from "../../../core/types.ts";
import type { KubeEvent } from "../../../tools/kubernetes/objectEvents.ts";
import { signal } from "../../signals.ts";

/** The scheduler's word for a pod held back by its claims (`pod has unbound immediate PersistentVolumeClaims`). */
export const UNBOUND_CLAIMS =
  /unbound (?:immediate )?PersistentVolumeClaims|persistentvolumeclaim "[^"]+" not found/i;

/** What was read about one claim a Pending pod mounts. */
export interface ClaimReading {
  name: string;
  /** Undefined when the claim does not exist. */
  claim?: V1PersistentVolumeClaim | undefined;
  /** The claim's own events (ProvisioningFailed, FailedBinding ...). */
  events: readonly KubeEvent[];
}

/**
 * Why a pod cannot be scheduled, when it is its storage: a claim it mounts that does not exist or is not Bound. Pure.
 * - `claim_unbound` (value: the claim's name): with the claim's own events (a StorageClass that does not exist, no
 *   volume to bind) and, when one is found, the PersistentVolume that still holds a `claimRef` to an earlier claim
 *   of the same name (`Released`: its claim was deleted and re-created, and a static volume with the Retain policy
 *   never binds again until a person clears that reference). No catalog action binds a claim: restarting,
 *   re-creating or rolling back the pod meets the same claim.
 * Nothing for a Bound claim (the pod waits for something else) or a pod not Pending.
 */
export function claimSignals(
  namespace: string,
  claims: readonly ClaimReading[],
  volumes: readonly V1PersistentVolume[],
): Signal[] {
  for (const c of claims) {
    const phase = c.claim?.status?.phase;
    if (c.claim && phase === "Bound") continue;
    const why: string[] = [];
    if (!c.claim) why.push(`PersistentVolumeClaim ${namespace}/${c.name} does not exist`);
    else why.push(`PersistentVolumeClaim ${namespace}/${c.name} is ${phase ?? "Pending"}, not Bound`);
    const own = [...c.events].reverse().find((e) => e.type === "Warning" || /fail/i.test(e.reason));
    if (own) why.push(`its newest event: ${own.reason}: ${own.message.slice(0, 200)}`);
    const held = volumes.find(
      (v) =>
        v.spec?.claimRef?.namespace === namespace &&
        v.spec.claimRef.name === c.name &&
        (v.status?.phase === "Released" ||
          (c.claim?.metadata?.uid && v.spec.claimRef.uid !== c.claim.metadata.uid)),
    );
    if (held)
      why.push(
        `PersistentVolume ${held.metadata?.name ?? "?"} is ${held.status?.phase ?? "?"} and still holds a claimRef to an earlier ${c.name} (uid ${held.spec?.claimRef?.uid ?? "?"}), so it will not bind the new claim: a person clears its spec.claimRef (or re-creates the volume), after checking the data on it`,
      );
    const storageClass = c.claim?.spec?.storageClassName;
    if (!held && storageClass)
      why.push(
        `no Available PersistentVolume of class ${storageClass} matches it${volumes.some((v) => v.spec?.storageClassName === storageClass) ? "" : " (none of that class exists)"}`,
      );
    return [
      signal("claim_unbound", c.name, `${why.join("; ")}: the pods cannot be scheduled until it binds`),
    ];
  }
  return [];
}
