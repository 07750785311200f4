import type { ObserverDeps } from "./deps.ts";
import { describeError } from "../../../../core/errors.ts";
import type { AgentClock } from "../../platform.ts";
import { memorySignals, sampleMemory } from "../memory.ts";
import { memoryFromPrometheus } from "../promMemory.ts";
import { clusterNow, type WorkloadObservations } from "../signals.ts";
import type { Workload } from "../actions/action.ts";

/**
 * The workload's working set over time, as signals. With Prometheus, its history since the alert began (see
 * promMemory.ts), so a leak's growth is read at once; otherwise, or when that history is too short or
 * unreadable, sampled from metrics-server over a bounded window (see memory.ts). A missing metrics API is an
 * error.
 */
export async function observeMemory(
  deps: ObserverDeps,
  t: Workload,
  obs: WorkloadObservations,
  clock: AgentClock,
  errors: string[],
  since?: number,
) {
  const { tools } = deps;
  if (deps.prometheusUrl) {
    try {
      const history = await memoryFromPrometheus({
        prometheusUrl: deps.prometheusUrl,
        namespace: t.namespace,
        pods: obs.pods,
        container: t.container,
        since,
        now: clock.now(),
      });
      if (history) return memorySignals(history, obs.rollout, clusterNow(obs));
    } catch (err) {
      errors.push(`prometheus_query_range: ${describeError(err)}`);
    }
  }
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
