import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/docker.ts";
import { startPrometheus, type TestPrometheus } from "../helpers/prometheus.ts";

const run = promisify(execFile);
const AEGIS = new URL("../../bin/aegis.js", import.meta.url).pathname;

/**
 * A service whose counters say 2 % of its requests fail (20× what a 99.9 % objective allows) and 0.05 % are
 * slower than 150 ms (half the latency budget's rate), scraped by a real Prometheus.
 */
describe("aegis slo against a real Prometheus", () => {
  let target: Server;
  let prom: TestPrometheus;
  const dir = mkdtempSync(join(tmpdir(), "aegis-slo-"));
  let total = 0;

  beforeAll(async () => {
    target = createServer((_req, res) => {
      total += 10_000;
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(
        [
          `http_requests_total{service="checkout",code="200"} ${total * 0.98}`,
          `http_requests_total{service="checkout",code="500"} ${total * 0.02}`,
          `http_request_duration_seconds_bucket{service="checkout",le="0.15"} ${total * 0.9995}`,
          `http_request_duration_seconds_count{service="checkout"} ${total}`,
          "",
        ].join("\n"),
      );
    });
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    prom = await startPrometheus([`127.0.0.1:${(target.address() as AddressInfo).port}`]);
    // rate() needs two samples in every window.
    await waitFor(
      async () => {
        const q = encodeURIComponent("sum(rate(http_requests_total[5m]))");
        const body = (await (await fetch(`${prom.url}/api/v1/query?query=${q}`)).json()) as {
          data: { result: unknown[] };
        };
        return body.data.result.length > 0;
      },
      { what: "rates in Prometheus" },
    );
    writeFileSync(
      join(dir, "policy.yaml"),
      [
        "slos:",
        "  checkout:",
        "    availability:",
        "      objective: 99.9",
        `      errorRatio: 'sum(rate(http_requests_total{service="checkout",code=~"5.."}[$window])) / sum(rate(http_requests_total{service="checkout"}[$window]))'`,
        "    latency:",
        "      thresholdMs: 150",
        `      slowRatio: '1 - sum(rate(http_request_duration_seconds_bucket{service="checkout",le="0.15"}[$window])) / sum(rate(http_request_duration_seconds_count{service="checkout"}[$window]))'`,
        "",
      ].join("\n"),
    );
  });
  afterAll(async () => {
    await prom?.stop();
    target?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const aegis = (args: string[]) =>
    run(process.execPath, [AEGIS, "slo", ...args], {
      env: {
        ...process.env,
        AEGIS_DB: join(dir, "aegis.db"),
        AEGIS_POLICY: join(dir, "policy.yaml"),
        PROMETHEUS_URL: prom.url,
      },
    });

  it("--json: burn rates per window and the budget left, a fast burn on availability only", async () => {
    const { stdout } = await aegis(["--json"]);
    const report = JSON.parse(stdout) as {
      slos: Array<{
        service: string;
        availability: { burnRates: Record<string, number>; budgetLeft: number; fastBurn: boolean };
        latency: { burnRates: Record<string, number>; fastBurn: boolean; slowBurn: boolean };
        failedHeals: { count: number; spent: boolean };
      }>;
    };
    const checkout = report.slos.find((s) => s.service === "checkout")!;
    expect(checkout.availability.burnRates["1h"]).toBeCloseTo(20, 0);
    expect(checkout.availability.burnRates["5m"]).toBeCloseTo(20, 0);
    expect(checkout.availability.fastBurn).toBe(true);
    expect(checkout.availability.budgetLeft).toBeLessThan(0);
    expect(checkout.latency.burnRates["1h"]).toBeCloseTo(0.5, 1);
    expect(checkout.latency.fastBurn).toBe(false);
    expect(checkout.latency.slowBurn).toBe(false);
    expect(checkout.failedHeals).toMatchObject({ count: 0, spent: false });
  });

  it("the table for people names the fast burn", async () => {
    const { stdout } = await aegis([]);
    expect(stdout).toMatch(/checkout\s+availability\s+99\.9 %.*FAST BURN/);
    expect(stdout).toMatch(/checkout\s+latency\s+99\.9 % < 150 ms.*ok/);
    expect(stdout).toMatch(/checkout\s+failed heals\s+< 5\/week\s+5 left/);
  });
});
