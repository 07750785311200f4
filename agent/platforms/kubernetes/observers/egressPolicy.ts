import type { ObserverDeps } from "./deps.ts";
import { describeError } from "../../../../core/errors.ts";
import type { Signal } from "../../../../core/types.ts";
import type { Workload } from "../actions/action.ts";
import { egressPolicySignals, unansweredLookups } from "../egressPolicy.ts";
import type { WorkloadObservations } from "../signals.ts";

/**
 * When a pod's name lookups go unanswered: the namespace's NetworkPolicies and the pod's labels, judged by
 * egressPolicySignals (a policy that lets no DNS out is the cause). Reads nothing when no pod logs such lookups.
 */
export async function observeEgressPolicy(
  deps: ObserverDeps,
  t: Workload,
  obs: WorkloadObservations,
  errors: string[],
): Promise<Signal[]> {
  const pod = Object.entries(obs.logs).find(([, lines]) => unansweredLookups(lines).length > 0);
  if (!pod) return [];
  const [name, lines] = pod;
  try {
    const [read, policies] = await Promise.all([
      deps.kube.core.readNamespacedPod({ name, namespace: t.namespace }),
      deps.kube.networking.listNamespacedNetworkPolicy({ namespace: t.namespace }),
    ]);
    return egressPolicySignals({
      pod: name,
      labels: read.metadata?.labels ?? {},
      lines,
      policies: policies.items,
    });
  } catch (err) {
    errors.push(`network policies: ${describeError(err)}`);
    return [];
  }
}
