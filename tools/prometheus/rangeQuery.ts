import { z } from "zod";
import { tool } from "../tool.ts";
import { prometheusApi } from "./instantQuery.ts";

/** One series of a range query: its labels and [ms timestamp, value] points, oldest first. */
export interface PromRangeSeries {
  labels: Record<string, string>;
  points: Array<[number, number]>;
}

/** Output of `prometheus_query_range`. */
export interface PromRangeResult {
  series: PromRangeSeries[];
  warnings?: string[];
}

/** Most points returned per series: enough to see a trend, not enough to flood a model's context. */
const MAX_POINTS = 120;

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO-8601 time");

const parameters = z.object({
  query: z.string().min(1).describe('PromQL expression, e.g. process_resident_memory_bytes{job="web"}.'),
  start: isoTime.describe("Start of the range (ISO-8601)."),
  end: isoTime.optional().describe("End of the range (ISO-8601); defaults to now."),
  stepSeconds: z.number().positive().max(3600).default(15).describe("Resolution in seconds."),
});

/** A range read back from now to an alert's start, bounded, in a fixed number of steps. */
export interface AlertWindow {
  start: string;
  end: string;
  stepSeconds: number;
  windowMs: number;
}

/** How far back a reader looks: never shorter than `minMs` nor longer than `maxMs`, in `steps` steps. */
export interface WindowBounds {
  minMs: number;
  maxMs: number;
  steps: number;
}

/**
 * The range to read an alert's history over: from when it began (`at.since`, epoch ms; unknown → the shortest
 * window) to `at.now`, within the reader's bounds.
 */
export function alertWindow(
  at: { since?: number | undefined; now?: number | undefined },
  bounds: WindowBounds,
): AlertWindow {
  const end = at.now ?? Date.now();
  const since = at.since !== undefined && Number.isFinite(at.since) ? at.since : end;
  const windowMs = Math.min(bounds.maxMs, Math.max(bounds.minMs, end - since));
  return {
    start: new Date(end - windowMs).toISOString(),
    end: new Date(end).toISOString(),
    stepSeconds: Math.max(0.1, windowMs / 1000 / bounds.steps),
    windowMs,
  };
}

/** Evaluate a PromQL expression over a time range (`GET /api/v1/query_range`). */
export async function queryPrometheusRange(opts: {
  prometheusUrl: string;
  query: string;
  start: string;
  end?: string | undefined;
  stepSeconds: number;
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}): Promise<PromRangeResult> {
  const end = opts.end ? new Date(opts.end) : new Date();
  const { data, warnings } = await prometheusApi(opts, "api/v1/query_range", {
    query: opts.query,
    start: new Date(opts.start).toISOString(),
    end: end.toISOString(),
    step: String(opts.stepSeconds),
  });
  const rows = (data.result ?? []) as Array<{
    metric: Record<string, string>;
    values: Array<[number, string]>;
  }>;
  const series = rows.map((r) => {
    // Keep the newest points when there are too many: the recent trend is what an investigation needs.
    const values = r.values.slice(-MAX_POINTS);
    return {
      labels: r.metric,
      points: values.map(([t, v]): [number, number] => [Math.round(t * 1000), Number(v)]),
    };
  });
  return warnings ? { series, warnings } : { series };
}

/** `prometheus_query_range`: a PromQL expression over a time range, to see trends (growth, spikes). */
export function createPrometheusRangeQueryTool(deps: { prometheusUrl: string; timeoutMs?: number }) {
  return tool({
    name: "prometheus_query_range",
    description:
      "Evaluate a PromQL expression over a time range and return each series' points (newest 120 at most), " +
      "to see a trend: memory growing, error rate rising, latency drifting.",
    parameters,
    execute: async ({ query, start, end, stepSeconds }, { signal }): Promise<PromRangeResult> =>
      queryPrometheusRange({
        prometheusUrl: deps.prometheusUrl,
        query,
        start,
        end,
        stepSeconds,
        timeoutMs: deps.timeoutMs,
        signal,
      }),
  });
}
