import type { ObserverDeps } from "./deps.ts";
import { describeError } from "../../../../core/errors.ts";
import type { Signal } from "../../../../core/types.ts";
import { queryPrometheus } from "../../../../tools/prometheus/instantQuery.ts";
import { signal } from "../../../signals.ts";

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

/** One partition's lag, as kafka-exporter's `kafka_consumergroup_lag{partition=…}` reports it. */
export interface PartitionLag {
  partition: string;
  lag: number;
}

/** Share of the group's lag that must sit on the hot partitions before more consumers are judged useless. */
const HOT_SHARE = 0.8;

/**
 * Lag held by one partition (or a few) while the others are caught up: a partition is read by one consumer of
 * the group, so more consumers cannot take it over; the producers' keys (or the partitioning) must change.
 * Hot means at most a quarter of the partitions (at least one) carry 80 % or more of the lag. Pure.
 */
export function hotPartitionSignals(group: string, lags: readonly PartitionLag[]): Signal[] {
  const total = lags.reduce((a, p) => a + p.lag, 0);
  if (lags.length < 2 || total <= 0) return [];
  const sorted = [...lags].sort((a, b) => b.lag - a.lag);
  const most = Math.max(1, Math.floor(lags.length / 4));
  let held = 0;
  const hot: PartitionLag[] = [];
  for (const p of sorted.slice(0, most)) {
    if (held >= HOT_SHARE * total) break;
    hot.push(p);
    held += p.lag;
  }
  if (held < HOT_SHARE * total) return [];
  const names = hot.map((p) => p.partition);
  return [
    signal(
      "lag_on_few_partitions",
      names.join(","),
      `consumer group ${group}: partition(s) ${names.join(", ")} hold ${Math.round((held / total) * 100)} % of the lag (${hot.map((p) => `${p.partition}: ${Math.round(p.lag)}`).join(", ")}) while the other ${lags.length - hot.length} are nearly caught up: a hot key; a partition has one consumer at most, so more consumers cannot help`,
    ),
  ];
}

/** The group's lag per partition from kafka-exporter's series (PROMETHEUS_URL); empty when unknown. */
export async function partitionLags(
  deps: ObserverDeps,
  group: string,
  errors: string[],
): Promise<PartitionLag[]> {
  if (!deps.prometheusUrl) return [];
  try {
    const r = await queryPrometheus({
      prometheusUrl: deps.prometheusUrl,
      query: `sum by (partition) (kafka_consumergroup_lag{consumergroup=${JSON.stringify(group)}})`,
      timeoutMs: 5000,
    });
    return r.series
      .filter((s) => s.labels.partition !== undefined && Number.isFinite(s.value))
      .map((s) => ({ partition: s.labels.partition!, lag: Math.max(0, s.value) }));
  } catch (err) {
    errors.push(`kafka_consumergroup_lag by partition: ${describeError(err)}`);
    return [];
  }
}
