import type { V1Endpoints } from "@kubernetes/client-node";
import type { ObserverDeps } from "./deps.ts";
import { describeError } from "../../../../core/errors.ts";
import type { Signal } from "../../../../core/types.ts";
import type { Workload } from "../actions/action.ts";
import { serviceRoutingSignals } from "../serviceRouting.ts";
import type { WorkloadObservations } from "../signals.ts";

/** The namespace's Services and their Endpoints, judged against the workload's pod template (serviceRouting.ts). */
export async function observeServiceRouting(
  deps: ObserverDeps,
  t: Workload,
  obs: WorkloadObservations,
  errors: string[],
): Promise<Signal[]> {
  const template = obs.rollout?.revisions[0]?.template;
  const readyPods = obs.pods.filter((p) => p.ready && !p.deleting).length;
  if (!obs.rollout || !template || readyPods === 0) return [];
  try {
    const [services, endpoints] = await Promise.all([
      deps.kube.core.listNamespacedService({ namespace: t.namespace }),
      deps.kube.core.listNamespacedEndpoints({ namespace: t.namespace }),
    ]);
    const byName = new Map<string, V1Endpoints>(endpoints.items.map((e) => [e.metadata?.name ?? "", e]));
    return serviceRoutingSignals({
      workload: obs.rollout.name,
      template,
      readyPods,
      services: services.items.map((service) => ({
        service,
        endpoints: byName.get(service.metadata?.name ?? ""),
      })),
    });
  } catch (err) {
    errors.push(`services: ${describeError(err)}`);
    return [];
  }
}
