import type { ContainerStatsResult, StatsSample } from "../../../tools/docker/containerStats.ts";
import { queryPrometheus } from "../../../tools/prometheus/instantQuery.ts";
import {
  alertWindow,
  queryPrometheusRange,
  type WindowBounds,
} from "../../../tools/prometheus/rangeQuery.ts";

/**
 * The trend is read since the alert began, over at least 5 s and at most 10 minutes, in 50 steps: fine enough for a
 * fast scrape, few enough for one small answer.
 */
const WINDOW: WindowBounds = { minMs: 5_000, maxMs: 10 * 60_000, steps: 50 };
/** Distinct readings a trend needs before it says anything. */
const MIN_POINTS = 3;

/** Which container's history to read, from where, and over which alert's window. */
export interface ContainerHistoryQuery {
  prometheusUrl: string;
  container: string;
  /** Epoch ms the alert began; the window starts there. */
  since?: number;
  now?: number;
}

/** One range query over the alert's window. */
async function readWindow(opts: ContainerHistoryQuery, query: string) {
  const window = alertWindow(opts, WINDOW);
  const range = await queryPrometheusRange({ prometheusUrl: opts.prometheusUrl, query, ...window });
  return { range, window };
}

/**
 * A container's memory over the last minutes and its CPU now, read from Prometheus (cAdvisor's working set by the
 * container's name, else the process's own resident memory by the `container` label the scrape adds) instead of
 * sampling the engine for a second. The window runs from the alert's start (`since`) to now, within bounds. The shape
 * is the engine's stats: the three newest distinct readings, and the growth rate fitted over every reading of the
 * window. Undefined when Prometheus has fewer than three distinct readings.
 */
export async function statsFromPrometheus(
  opts: ContainerHistoryQuery & { memoryLimitBytes: number },
): Promise<ContainerStatsResult | undefined> {
  const name = JSON.stringify(opts.container);
  const { range } = await readWindow(
    opts,
    `container_memory_working_set_bytes{name=${name}} or process_resident_memory_bytes{container=${name}}`,
  );
  // Steps between two scrapes repeat the older sample: keep each reading once.
  const points = (range.series[0]?.points ?? []).filter(
    ([, v], i, all) => Number.isFinite(v) && (i === 0 || v !== all[i - 1]![1]),
  );
  if (points.length < MIN_POINTS) return undefined;
  const cpu = await queryPrometheus({
    prometheusUrl: opts.prometheusUrl,
    query: `rate(container_cpu_usage_seconds_total{name=${name}}[30s]) or rate(process_cpu_seconds_total{container=${name}}[30s])`,
  });
  const cpuNow = cpu.series[0] ? cpu.series[0].value * 100 : null;
  const picks = points.slice(-3);
  const samples: StatsSample[] = picks.map(([at, bytes], i) => ({
    at: new Date(at).toISOString(),
    memoryUsageBytes: bytes,
    memoryLimitBytes: opts.memoryLimitBytes,
    cpuPercent: i === picks.length - 1 ? cpuNow : null,
  }));
  const last = points.at(-1)![1];
  return {
    samples,
    memoryGrowthBytesPerSec: slopePerSecond(points),
    memoryUtilisation: opts.memoryLimitBytes > 0 ? last / opts.memoryLimitBytes : null,
  };
}

/** Least-squares slope of [ms, value] points, per second. */
function slopePerSecond(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  const mx = points.reduce((s, [t]) => s + t, 0) / n;
  const my = points.reduce((s, [, v]) => s + v, 0) / n;
  let num = 0;
  let den = 0;
  for (const [t, v] of points) {
    num += (t - mx) * (v - my);
    den += (t - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 1000;
}

/** What Prometheus holds of a container's server errors since its alert began. */
export interface ErrorHistory {
  /** Scrapes at which the 5xx counter had grown since the one before: errors seen at that many moments. */
  rises: number;
  /** 5xx answers counted over the window. */
  errors: number;
  windowMs: number;
}
/** Distinct moments of new server errors that make them sustained rather than a blip. */
export const SUSTAINED_RISES = 2;

/**
 * A container's server errors over the alert's window, read as one range query of its `http_requests_total` 5xx
 * counter (by the `container` label the scrape adds) instead of probing it again on the spot: errors that grew at
 * several scrapes are sustained, not a blip. Undefined when Prometheus has no such series.
 */
export async function errorsFromPrometheus(opts: ContainerHistoryQuery): Promise<ErrorHistory | undefined> {
  const { range, window } = await readWindow(
    opts,
    `sum(http_requests_total{container=${JSON.stringify(opts.container)},code=~"5.."})`,
  );
  const values = (range.series[0]?.points ?? []).map(([, v]) => v).filter(Number.isFinite);
  if (values.length === 0) return undefined;
  let rises = 0;
  let errors = 0;
  for (let i = 1; i < values.length; i++) {
    const d = values[i]! - values[i - 1]!;
    // A counter that went down was reset by a restart: what it counts since is new.
    const added = d >= 0 ? d : values[i]!;
    if (added > 0) {
      rises++;
      errors += added;
    }
  }
  return { rises, errors, windowMs: window.windowMs };
}
