import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasCode } from "../../../core/errors.ts";
import { createPrometheusQueryTool, queryPrometheus } from "../../../tools/prometheus/instantQuery.ts";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

/** Answers like Prometheus' /api/v1/query, with bodies captured from a real Prometheus 2.42. */
const answers: Record<string, { status: number; body: string }> = {
  up: { status: 200, body: fixture("vector-up.json") },
  'up{job="nothing"}': { status: 200, body: fixture("vector-empty.json") },
  "1/0": { status: 200, body: fixture("scalar-inf.json") },
  "up[3s]": { status: 200, body: fixture("matrix-up.json") },
  "rate(up[1m]": { status: 400, body: fixture("error-parse.json") },
  "gateway-error": { status: 502, body: "<html>Bad Gateway</html>" },
};

let server: Server;
let prometheusUrl: string;
const seen: URL[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    seen.push(url);
    const answer =
      url.pathname === "/prom/api/v1/query" ? answers[url.searchParams.get("query") ?? ""] : undefined;
    res.writeHead(answer?.status ?? 404, { "content-type": "application/json" });
    res.end(answer?.body ?? "404 page not found\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  prometheusUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prom`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

describe("prometheus_query", () => {
  it("parses a vector into labelled series with ms timestamps", async () => {
    const result = await createPrometheusQueryTool({ prometheusUrl }).execute({ query: "up" });
    expect(result).toEqual({
      resultType: "vector",
      series: [
        {
          labels: { __name__: "up", instance: "127.0.0.1:19390", job: "self" },
          value: 1,
          timestamp: 1795456683567,
        },
      ],
    });
  });

  it("passes the evaluation time and returns no series for an empty result", async () => {
    const result = await queryPrometheus({
      prometheusUrl,
      query: 'up{job="nothing"}',
      time: "2026-11-23T17:58:03Z",
    });
    expect(result).toEqual({ resultType: "vector", series: [] });
    expect(seen.at(-1)?.searchParams.get("time")).toBe("2026-11-23T17:58:03.000Z");
  });

  it("parses scalars (including +Inf) and keeps a matrix series' newest sample", async () => {
    const scalar = await queryPrometheus({ prometheusUrl, query: "1/0" });
    expect(scalar.series).toEqual([{ labels: {}, value: Infinity, timestamp: 1795456683734 }]);
    const matrix = await queryPrometheus({ prometheusUrl, query: "up[3s]" });
    expect(matrix).toMatchObject({ resultType: "matrix", series: [{ value: 1, timestamp: 1795456683398 }] });
  });

  it("turns a Prometheus error body into tool_failed carrying Prometheus' message", async () => {
    const err = await queryPrometheus({ prometheusUrl, query: "rate(up[1m]" }).catch((e: unknown) => e);
    expect(hasCode(err, "tool_failed")).toBe(true);
    expect((err as Error).message).toContain("bad_data");
    expect((err as Error).message).toContain("unclosed left parenthesis");
  });

  it("reports a non-JSON answer and an unreachable Prometheus as tool_failed", async () => {
    const gateway = await queryPrometheus({ prometheusUrl, query: "gateway-error" }).catch((e: unknown) => e);
    expect(hasCode(gateway, "tool_failed")).toBe(true);
    expect((gateway as Error).message).toContain("HTTP 502");
    const down = await queryPrometheus({ prometheusUrl: "http://127.0.0.1:1", query: "up" }).catch(
      (e: unknown) => e,
    );
    expect(hasCode(down, "tool_failed")).toBe(true);
  });
});
