import { z } from "zod";
import { AegisError } from "../../core/errors.ts";
import { tool } from "../tool.ts";

/** One series of an instant query's result, with its value at the evaluation time. */
export interface PromSeries {
  labels: Record<string, string>;
  /** NaN and ±Inf come through as numbers (JSON shows NaN as null). */
  value: number;
  /** Sample time in ms since the epoch. */
  timestamp: number;
}

/** Output of `prometheus_query`. */
export interface PromQueryResult {
  resultType: "vector" | "matrix" | "scalar" | "string";
  series: PromSeries[];
  warnings?: string[];
}

/** Options of {@link queryPrometheus}. */
export interface PromQueryOptions {
  prometheusUrl: string;
  query: string;
  /** Evaluation time (ISO-8601); Prometheus uses "now" without it. */
  time?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

type Sample = [number, string];
/** The JSON envelope of every Prometheus HTTP API answer. */
export interface PromBody {
  status?: string;
  errorType?: string;
  error?: string;
  warnings?: string[];
  data?: {
    resultType?: string;
    result?: unknown;
  };
}

/** Prometheus writes infinities as "+Inf"/"-Inf", which Number() does not read. */
function parseValue(value: string): number {
  if (value === "+Inf" || value === "Inf") return Infinity;
  if (value === "-Inf") return -Infinity;
  return Number(value);
}

function sample([ts, value]: Sample): Pick<PromSeries, "value" | "timestamp"> {
  return { value: parseValue(value), timestamp: Math.round(ts * 1000) };
}

/** Flatten a Prometheus `data` block into series; a range selector's matrix keeps each series' newest sample. */
export function toSeries(data: NonNullable<PromBody["data"]>): PromQueryResult {
  const type = data.resultType;
  switch (type) {
    case "vector":
      return {
        resultType: type,
        series: (data.result as Array<{ metric: Record<string, string>; value: Sample }>).map((r) => ({
          labels: r.metric,
          ...sample(r.value),
        })),
      };
    case "matrix":
      return {
        resultType: type,
        series: (data.result as Array<{ metric: Record<string, string>; values: Sample[] }>).flatMap((r) => {
          const last = r.values[r.values.length - 1];
          return last ? [{ labels: r.metric, ...sample(last) }] : [];
        }),
      };
    case "scalar":
    case "string":
      return { resultType: type, series: [{ labels: {}, ...sample(data.result as Sample) }] };
    default:
      throw new AegisError("tool_failed", `Prometheus returned an unknown result type ${String(type)}`);
  }
}

/** GET one Prometheus HTTP API endpoint and return its `data` block; errors become `tool_failed`. */
export async function prometheusApi(
  opts: {
    prometheusUrl: string;
    timeoutMs?: number | undefined;
    signal?: AbortSignal | undefined;
    query: string;
  },
  path: string,
  params: Record<string, string>,
): Promise<{ data: NonNullable<PromBody["data"]>; warnings?: string[] }> {
  const url = new URL(path, opts.prometheusUrl.endsWith("/") ? opts.prometheusUrl : `${opts.prometheusUrl}/`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 10_000);
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout });
    text = await res.text();
  } catch (err) {
    const why = timeout.aborted ? "timed out" : err instanceof Error ? err.message : String(err);
    throw new AegisError("tool_failed", `Prometheus at ${url.origin} unreachable: ${why}`, { cause: err });
  }
  let body: PromBody;
  try {
    body = JSON.parse(text) as PromBody;
  } catch (err) {
    throw new AegisError(
      "tool_failed",
      `Prometheus answered HTTP ${res.status} with a body that is not JSON`,
      {
        cause: err,
      },
    );
  }
  if (body.status !== "success" || !body.data) {
    const kind = body.errorType ?? `HTTP ${res.status}`;
    throw new AegisError(
      "tool_failed",
      `Prometheus query failed (${kind}): ${body.error ?? "no error message"}`,
      {
        details: { query: opts.query, status: res.status, errorType: body.errorType },
      },
    );
  }
  return body.warnings?.length ? { data: body.data, warnings: body.warnings } : { data: body.data };
}

/** Run an instant query against Prometheus' HTTP API (`GET /api/v1/query`). */
export async function queryPrometheus(opts: PromQueryOptions): Promise<PromQueryResult> {
  const params: Record<string, string> = { query: opts.query };
  if (opts.time) params.time = new Date(opts.time).toISOString();
  const { data, warnings } = await prometheusApi(opts, "api/v1/query", params);
  const result = toSeries(data);
  return warnings ? { ...result, warnings } : result;
}

const parameters = z.object({
  query: z.string().min(1).describe('PromQL expression, e.g. rate(http_requests_total{code="500"}[1m]).'),
  time: z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO-8601 time")
    .optional()
    .describe("Evaluation time (ISO-8601); defaults to now."),
});

/** `prometheus_query`: evaluate a PromQL expression at one instant. */
export function createPrometheusQueryTool(deps: { prometheusUrl: string; timeoutMs?: number }) {
  return tool({
    name: "prometheus_query",
    description:
      "Evaluate a PromQL expression at one instant (now by default). Returns each series' labels, value " +
      "and sample time. An empty series list means no data, which is not the same as healthy.",
    parameters,
    execute: async ({ query, time }, { signal }): Promise<PromQueryResult> =>
      queryPrometheus({ prometheusUrl: deps.prometheusUrl, query, time, timeoutMs: deps.timeoutMs, signal }),
  });
}
