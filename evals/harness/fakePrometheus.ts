import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { MetricHistory } from "./metricHistory.ts";
import { seriesKey } from "./metricHistory.ts";
import { durationMs, evaluateAt, PromqlError } from "./promqlEval.ts";

/** The eval's Prometheus: its HTTP API over the simulated clusters' recorded metric history. */
export interface FakePrometheus {
  url: string;
  /** Every query received, in order (for tests and for a scenario's report). */
  queries: string[];
  stop(): Promise<void>;
}

/** Most points a range query may return per series, as Prometheus refuses more than 11,000. */
const MAX_POINTS = 11_000;

/** A value as Prometheus' JSON writes it. */
const num = (v: number) =>
  Number.isNaN(v) ? "NaN" : v === Infinity ? "+Inf" : v === -Infinity ? "-Inf" : String(v);

/** An RFC 3339 or Unix-seconds time parameter, in ms. */
function timeParam(value: string | null, fallback: number): number {
  if (value === null || value === "") return fallback;
  const ms = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  if (!Number.isFinite(ms))
    throw new PromqlError(`cannot parse ${JSON.stringify(value)} to a valid timestamp`);
  return ms;
}

/** GET query string and POST form body parameters together, as Prometheus reads them. */
async function params(req: IncomingMessage, url: URL): Promise<URLSearchParams> {
  const out = new URLSearchParams(url.searchParams);
  if (req.method === "POST") {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString("utf8"))) out.append(k, v);
  }
  return out;
}

/**
 * Serves `GET|POST /api/v1/query` and `/api/v1/query_range` (Prometheus' HTTP API v1 and its JSON envelope) over
 * `history`, with "now" the clusters' clock. A query outside the evaluator's subset answers 400 `bad_data` with
 * the reason, as Prometheus answers an invalid one; unknown paths 404.
 */
export async function startFakePrometheus(
  history: MetricHistory,
  now: () => number,
): Promise<FakePrometheus> {
  const queries: string[] = [];
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? "/", "http://localhost");
    const answer = async () => {
      const p = await params(req, url);
      const query = p.get("query") ?? "";
      queries.push(query);
      if (url.pathname === "/api/v1/query") {
        const at = timeParam(p.get("time"), now());
        const v = evaluateAt(query, history, at);
        const t = at / 1000;
        if (v.kind === "scalar") return { resultType: "scalar", result: [t, num(v.v)] };
        if (v.kind === "string") return { resultType: "string", result: [t, v.s] };
        if (v.kind === "matrix")
          return {
            resultType: "matrix",
            result: v.elems.map((e) => ({
              metric: e.labels,
              values: e.samples.map((s) => [s.t / 1000, num(s.v)]),
            })),
          };
        return {
          resultType: "vector",
          result: v.elems.map((e) => ({ metric: e.labels, value: [t, num(e.v)] })),
        };
      }
      // query_range
      const start = timeParam(p.get("start"), Number.NaN);
      const end = timeParam(p.get("end"), Number.NaN);
      const stepText = p.get("step") ?? "";
      const step = stepText === "" ? Number.NaN : durationMs(stepText);
      if (!Number.isFinite(start) || !Number.isFinite(end) || !(step > 0))
        throw new PromqlError("start, end and a positive step are required");
      if (end < start) throw new PromqlError("end timestamp must not be before start time");
      if ((end - start) / step > MAX_POINTS)
        throw new PromqlError("exceeded maximum resolution of 11,000 points per timeseries");
      const rows = new Map<string, { metric: Record<string, string>; values: Array<[number, string]> }>();
      for (let at = start; at <= end; at += step) {
        const v = evaluateAt(query, history, at);
        if (v.kind !== "scalar" && v.kind !== "vector")
          throw new PromqlError("invalid expression type for range query, must be Scalar or instant Vector");
        const elems: Array<{ labels: Record<string, string>; v: number }> =
          v.kind === "scalar" ? [{ labels: {}, v: v.v }] : v.elems;
        for (const e of elems) {
          const k = seriesKey(e.labels);
          const row = rows.get(k) ?? { metric: e.labels, values: [] };
          row.values.push([at / 1000, num(e.v)]);
          rows.set(k, row);
        }
      }
      return { resultType: "matrix", result: [...rows.values()] };
    };
    if (url.pathname !== "/api/v1/query" && url.pathname !== "/api/v1/query_range")
      return send(404, { status: "error", errorType: "not_found", error: `no ${url.pathname} here` });
    answer().then(
      (data) => send(200, { status: "success", data }),
      (err: unknown) =>
        send(err instanceof PromqlError ? 400 : 500, {
          status: "error",
          errorType: err instanceof PromqlError ? "bad_data" : "internal",
          error: err instanceof Error ? err.message : String(err),
        }),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    queries,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
