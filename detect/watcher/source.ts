import { AegisError } from "../../core/errors.ts";

/** One series of a range query: labels and parallel arrays of times (ms) and values. */
export interface RangeSeries {
  labels: Record<string, string>;
  t: Float64Array;
  v: Float64Array;
}

/** Where the watcher reads series from: Prometheus' query_range (or anything that speaks it). */
export interface SeriesSource {
  queryRange(query: string, startMs: number, endMs: number, stepSeconds: number): Promise<RangeSeries[]>;
}

/** Prometheus writes infinities as "+Inf"/"-Inf" and NaN as "NaN". */
function num(s: string): number {
  return s === "+Inf" ? Infinity : s === "-Inf" ? -Infinity : Number(s);
}

/** `GET /api/v1/query_range` on a Prometheus server; errors carry `tool_failed`. */
export function prometheusSource(opts: { prometheusUrl: string; timeoutMs?: number }): SeriesSource {
  const base = opts.prometheusUrl.endsWith("/") ? opts.prometheusUrl : `${opts.prometheusUrl}/`;
  return {
    async queryRange(query, startMs, endMs, stepSeconds) {
      const url = new URL("api/v1/query_range", base);
      url.searchParams.set("query", query);
      url.searchParams.set("start", (startMs / 1000).toFixed(3));
      url.searchParams.set("end", (endMs / 1000).toFixed(3));
      url.searchParams.set("step", String(stepSeconds));
      let res: Response;
      let body: {
        status?: string;
        error?: string;
        errorType?: string;
        data?: {
          resultType?: string;
          result?: Array<{ metric: Record<string, string>; values: Array<[number, string]> }>;
        };
      };
      try {
        res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
        body = (await res.json()) as typeof body;
      } catch (err) {
        throw new AegisError(
          "tool_failed",
          `Prometheus at ${url.origin}: ${err instanceof Error ? err.message : String(err)}`,
          {
            cause: err,
          },
        );
      }
      if (body.status !== "success" || body.data?.resultType !== "matrix") {
        throw new AegisError(
          "tool_failed",
          `Prometheus query failed (${body.errorType ?? res.status}): ${body.error ?? "not a matrix"}`,
          {
            details: { query },
          },
        );
      }
      return (body.data.result ?? []).map((r) => {
        const n = r.values.length;
        const t = new Float64Array(n);
        const v = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          t[i] = Math.round(r.values[i]![0] * 1000);
          v[i] = num(r.values[i]![1]);
        }
        return { labels: r.metric, t, v };
      });
    },
  };
}
