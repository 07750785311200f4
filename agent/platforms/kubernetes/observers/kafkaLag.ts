import type { ObserverDeps } from "./deps.ts";
import { describeError } from "../../../../core/errors.ts";
import { queryPrometheus } from "../../../../tools/prometheus/instantQuery.ts";

/** The group's lag now from the exporter's series (PROMETHEUS_URL), or null when unknown or zero. */
export async function measuredLag(
  deps: ObserverDeps,
  group: string,
  errors: string[],
): Promise<number | null> {
  if (!deps.prometheusUrl) return null;
  try {
    const r = await queryPrometheus({
      prometheusUrl: deps.prometheusUrl,
      query: `sum(kafka_consumergroup_lag{consumergroup=${JSON.stringify(group)}})`,
      timeoutMs: 5000,
    });
    const lag = r.series[0]?.value;
    return lag !== undefined && lag > 0 ? Math.round(lag) : null;
  } catch (err) {
    errors.push(`kafka_consumergroup_lag: ${describeError(err)}`);
    return null;
  }
}
