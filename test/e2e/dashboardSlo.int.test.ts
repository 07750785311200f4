import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboard } from "../../server/dashboard/build.ts";
import { startTestAegis, type TestAegis } from "../helpers/aegis.ts";
import { launchChromium, logIn, shoot } from "../helpers/browser.ts";
import { waitFor } from "../helpers/docker.ts";
import { startPrometheus, type TestPrometheus } from "../helpers/prometheus.ts";

const TOKEN = "e2e-dashboard-slo-token-1a2b3c4d5e";
let target: Server;
let prom: TestPrometheus;
let t: TestAegis;
let browser: Browser;
let page: Page;
const dir = mkdtempSync(join(tmpdir(), "aegis-dash-slo-"));

/**
 * A service whose counters say 2 % of its requests fail (20× what a 99.9 % objective allows) and 0.05 % are
 * slower than 150 ms (half the latency budget's rate), scraped by a real Prometheus; the policy names both SLOs.
 */
beforeAll(async () => {
  await buildDashboard();
  let total = 0;
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
  const policy = join(dir, "policy.yaml");
  writeFileSync(
    policy,
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
  t = await startTestAegis({ AEGIS_API_TOKEN: TOKEN, PROMETHEUS_URL: prom.url, AEGIS_POLICY: policy });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await t?.stop();
  await prom?.stop();
  target?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("dashboard SLO panel in Chromium", () => {
  it("shows each SLO's budget left and burn rates from Prometheus, the fast burn flagged", async () => {
    await logIn(page, t.baseUrl, TOKEN);
    await page.goto(`${t.baseUrl}/#/overview`);
    const rows = page.locator('[data-testid="slo-table"] tbody tr');
    await rows.first().waitFor();
    const cells = async (n: number) =>
      (await rows.nth(n).locator("td").allTextContents()).map((c) => c.trim());
    // service, SLO, objective, budget left, burn 1h, 5m, 6h, 30m, state
    const availability = await cells(0);
    expect(availability.slice(0, 3)).toEqual(["checkout", "availability", "99.9%"]);
    expect(availability[3]).toMatch(/^-\d+%$/); // burning 20× the allowed rate: the budget is overspent
    expect(Number(availability[4])).toBeCloseTo(20, 0);
    expect(Number(availability[5])).toBeCloseTo(20, 0);
    expect(availability[8]).toBe("fast burn");
    const latency = await cells(1);
    expect(latency.slice(0, 3)).toEqual(["checkout", "latency < 150 ms", "99.9%"]);
    expect(Number(latency[4])).toBeCloseTo(0.5, 1);
    expect(latency[8]).toBe("ok");
    expect(await page.getByTestId("slo-table").textContent()).toContain("checkout: 0 of 5");
    await shoot(page, "overview-slo");
  });
});
