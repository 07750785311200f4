import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboard } from "../../server/dashboard/build.ts";
import { startTestAegis, type TestAegis } from "../helpers/aegis.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import { fault, freePort, removeContainersNamed, runTarget, uniqueName, waitFor } from "../helpers/docker.ts";

const TOKEN = "e2e-dashboard-token-9f8e7d6c5b4a";
const SHOTS = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));
const prefix = uniqueName("dash");
let t: TestAegis;
let browser: Browser;
let page: Page;

/** Debian's Chromium, headless, with the flags that keep it off the (closed) network; a fresh profile. */
function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

beforeAll(async () => {
  await buildDashboard();
  mkdirSync(SHOTS, { recursive: true });
  t = await startTestAegis({
    AEGIS_MODE: "approve",
    AEGIS_API_TOKEN: TOKEN,
    AEGIS_VERIFY_TIMEOUT_MS: "20000",
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await t?.stop();
  await removeContainersNamed(prefix);
});

describe("dashboard in Chromium", () => {
  it("logs in, sees an incident arrive live, approves it and shows the heal", async () => {
    await page.goto(t.baseUrl);
    await page.getByTestId("login").waitFor();
    await page.fill("input[name=token]", "not-the-token");
    await page.click("button[type=submit]");
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("not the API token");
    await page.fill("input[name=token]", TOKEN);
    await page.click("button[type=submit]");
    await page.getByTestId("logged-in").waitFor();
    await page.locator('[data-testid="live"].on').waitFor();

    // A leaking container and its alert, posted while the page is open: the row arrives without a reload.
    const name = `${prefix}-leak`;
    const port = await freePort();
    await runTarget({ name, port, memoryMb: 1024 });
    await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok), { what: "target up" });
    await fault(port, "leak");
    const navigations: string[] = [];
    page.on("framenavigated", (f) => navigations.push(f.url()));
    const res = await postAlerts(t.baseUrl, retargeted({ alertname: "ContainerUnhealthy", container: name }));
    const id = (res.body.incidents as Array<{ id: string }>)[0]!.id;
    const row = page.locator(`[data-testid="incident-row"][data-id="${id}"]`);
    await row.waitFor({ timeout: 15_000 });
    await row.locator("text=awaiting approval").waitFor({ timeout: 30_000 });
    expect(navigations).toEqual([]);
    await page.screenshot({ path: `${SHOTS}incidents.png`, fullPage: true });

    await row.locator("a").click();
    await page.locator('[data-testid="incident"][data-status="awaiting_approval"]').waitFor();
    expect(await page.getByTestId("decision-action").textContent()).toBe("restart_container");
    await page.getByTestId("contributions").locator("canvas").waitFor();
    await page.screenshot({ path: `${SHOTS}incident-awaiting-approval.png`, fullPage: true });

    await page.getByTestId("approve").click();
    await page.locator('[data-testid="incident"][data-status="resolved"]').waitFor({ timeout: 45_000 });
    expect(await page.getByTestId("actions").textContent()).toContain("restart_container");
    expect(await page.getByTestId("verification").textContent()).toContain("healthy");
    expect(await page.getByTestId("verification").textContent()).toContain("health_url");
    expect((await page.getByTestId("root-cause").textContent())?.length).toBeGreaterThan(20);
    const timeline = (await page.getByTestId("timeline").textContent()) ?? "";
    expect(timeline).toMatch(/approve/);
    expect(timeline).toMatch(/resolved/);
    await page.screenshot({ path: `${SHOTS}incident-resolved.png`, fullPage: true });

    // The API agrees with the page: the approval resumed the incident and it healed.
    const incident = (await (
      await fetch(`${t.baseUrl}/api/incidents/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { status: string; actions: unknown[] };
    expect(incident.status).toBe("resolved");
    expect(incident.actions).toHaveLength(1);
  });

  it("shows the overview's charts and the runbook memory", async () => {
    await page.goto(`${t.baseUrl}/#/overview`);
    await page.getByTestId("recovery-chart").locator("canvas").waitFor();
    await page.getByTestId("actions-chart").locator("canvas").waitFor();
    expect(await page.getByTestId("slo").textContent()).toContain("healed of finished (1/1)");
    expect(await page.getByTestId("autonomy").textContent()).toContain("restart_container");
    await page.screenshot({ path: `${SHOTS}overview.png`, fullPage: true });

    await page.goto(`${t.baseUrl}/#/runbooks`);
    await page.getByTestId("runbook-list").waitFor();
    await page.fill('[data-testid="runbook-search"]', "memory keeps growing until OOM");
    await page.press('[data-testid="runbook-search"]', "Enter");
    await expect.poll(() => page.getByTestId("runbook-list").textContent()).toContain("memory_leak");
    await page.getByTestId("runbook-list").locator("a").first().click();
    await page.getByTestId("runbook-entry").waitFor();
    await page.screenshot({ path: `${SHOTS}runbooks.png`, fullPage: true });
  });
});
