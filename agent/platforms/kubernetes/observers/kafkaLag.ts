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

const LAG_LINE = /\blag (\d+) messages\b/i;
/** Newest log lines a consumer may write without a lag report before its group counts as caught up. */
const CAUGHT_UP_AFTER_LINES = 3;

/**
 * Verification of more consumers: the group's lag must be falling, not merely the consumers be Ready. Reads the
 * consumers' own lag reports (newest lines): no report lately means caught up; otherwise the newest reported lag
 * must be below the oldest of the last few. Pure.
 */
export function lagTrendCheck(logs: Record<string, string[]>): {
  check: string;
  ok: boolean;
  detail: string;
} {
  const series = Object.entries(logs).map(([pod, lines]) => ({
    pod,
    lines,
    lags: lines.flatMap((l) => {
      const m = LAG_LINE.exec(l);
      return m ? [Number(m[1])] : [];
    }),
  }));
  const reporting = series.filter((s) => s.lines.slice(-CAUGHT_UP_AFTER_LINES).some((l) => LAG_LINE.test(l)));
  if (reporting.length === 0)
    return { check: "consumer_lag_falling", ok: true, detail: "no consumer reports lag in its newest lines" };
  const s = reporting.sort((a, b) => b.lags.length - a.lags.length)[0]!;
  const recent = s.lags.slice(-4);
  const first = recent[0]!;
  const last = recent[recent.length - 1]!;
  const ok = recent.length >= 2 && last < first;
  return {
    check: "consumer_lag_falling",
    ok,
    detail: ok
      ? `lag falls: ${recent.join(" → ")} messages (${s.pod})`
      : recent.length < 2
        ? `one lag report so far (${last} messages, ${s.pod}): no trend yet`
        : `lag does not fall: ${recent.join(" → ")} messages (${s.pod})`,
  };
}
