import type { ObserverDeps } from "./deps.ts";
import { describeError } from "../../../../core/errors.ts";
import { kubeStatus } from "../../../../tools/kubernetes/kubeErrors.ts";
import type { Signal } from "../../../../core/types.ts";
import type { Workload } from "../actions/action.ts";
import { claimSignals, UNBOUND_CLAIMS, type ClaimReading } from "../claimSignals.ts";
import type { WorkloadObservations } from "../signals.ts";

/** Claims read per pod: enough for any real pod, bounded in cost. */
const MAX_CLAIMS = 5;

/**
 * When a pod of the workload is Pending and the scheduler says its claims are unbound (or missing): the claims it
 * mounts, their events and the cluster's PersistentVolumes, judged by claimSignals. Reads nothing otherwise.
 */
export async function observeClaims(
  deps: ObserverDeps,
  t: Workload,
  obs: WorkloadObservations,
  errors: string[],
): Promise<Signal[]> {
  const pending = obs.pods.find((p) => p.phase === "Pending" && !p.node && !p.deleting);
  if (!pending || !obs.events.some((e) => e.reason === "FailedScheduling" && UNBOUND_CLAIMS.test(e.message)))
    return [];
  const { kube } = deps;
  try {
    const pod = await kube.core.readNamespacedPod({ name: pending.name, namespace: t.namespace });
    const names = (pod.spec?.volumes ?? [])
      .map((v) => v.persistentVolumeClaim?.claimName)
      .filter((n): n is string => typeof n === "string")
      .slice(0, MAX_CLAIMS);
    if (names.length === 0) return [];
    const claims: ClaimReading[] = await Promise.all(
      names.map(async (name) => {
        const claim = await kube.core
          .readNamespacedPersistentVolumeClaim({ name, namespace: t.namespace })
          .catch((err: unknown) => {
            if (kubeStatus(err) === 404) return undefined;
            throw err;
          });
        const { events } = await deps.tools.events.execute({ namespace: t.namespace, name, limit: 10 });
        return { name, claim, events: events.filter((e) => e.object.startsWith("PersistentVolumeClaim/")) };
      }),
    );
    const volumes = await kube.core.listPersistentVolume().then(
      (l) => l.items,
      (err: unknown) => {
        errors.push(`persistent volumes: ${describeError(err)}`);
        return [];
      },
    );
    return claimSignals(t.namespace, claims, volumes);
  } catch (err) {
    errors.push(`claims of ${pending.name}: ${describeError(err)}`);
    return [];
  }
}
