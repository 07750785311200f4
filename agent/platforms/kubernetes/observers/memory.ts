import type { ObserverDeps } from "./deps.ts";
import { describeError } from "../../../../core/errors.ts";
import type { AgentClock } from "../../platform.ts";
import { memorySignals, sampleMemory } from "../memory.ts";
import { clusterNow, type WorkloadObservations } from "../signals.ts";
import type { Workload } from "../actions/action.ts";

/** The workload's working set over a bounded window (see memory.ts), as signals; a missing metrics API is an error. */
export async function observeMemory(
  deps: ObserverDeps,
  t: Workload,
  obs: WorkloadObservations,
  clock: AgentClock,
  errors: string[],
) {
  const { tools } = deps;
  try {
    const read = async () =>
      (
        await tools.podMetrics.execute({
          namespace: t.namespace,
          ...(obs.rollout ? { labelSelector: obs.rollout.selector } : {}),
        })
      ).pods;
    const series = await sampleMemory(obs.pods, read, clock, t.container);
    return memorySignals(series, obs.rollout, clusterNow(obs));
  } catch (err) {
    errors.push(`k8s_pod_metrics: ${describeError(err)}`);
    return [];
  }
}
