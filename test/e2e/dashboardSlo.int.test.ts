import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboard } from "../../server/dashboard/build.ts";
import { startTestAegis, type TestAegis } from "../helpers/aegis.ts";
import { launchChromium, logIn, shoot } from "../helpers/browser.ts";
import { startBurningCheckout, type BurningCheckout } from "../helpers/sloService.ts";

const TOKEN = "e2e-dashboard-slo-token-1a2b3c4d5e";
let checkout: BurningCheckout;
let t: TestAegis;
let browser: Browser;
let page: Page;
const dir = mkdtempSync(join(tmpdir(), "aegis-dash-slo-"));

/** A `checkout` service burning its availability budget 20× (test/helpers/sloService.ts). */
beforeAll(async () => {
  await buildDashboard();
  checkout = await startBurningCheckout(dir);
  const { prom, policy } = checkout;
  t = await startTestAegis({ AEGIS_API_TOKEN: TOKEN, PROMETHEUS_URL: prom.url, AEGIS_POLICY: policy });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await t?.stop();
  await checkout?.stop();
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
