import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboard } from "../../server/dashboard/build.ts";
import { startTestAegis, type TestAegis } from "../helpers/aegis.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import { launchChromium, logIn, shoot } from "../helpers/browser.ts";
import { leakPrediction } from "../helpers/predictions.ts";
import { fault, useDockerHarness } from "../helpers/docker.ts";

const TOKEN = "e2e-dashboard-token-9f8e7d6c5b4a";
const h = useDockerHarness("dash");
let t: TestAegis;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  await buildDashboard();
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
    const { name, port } = await h.target("leak", { memoryMb: 1024 });
    await fault(port, "leak");
    const navigations: string[] = [];
    page.on("framenavigated", (f) => navigations.push(f.url()));
    const res = await postAlerts(t.baseUrl, retargeted({ alertname: "ContainerUnhealthy", container: name }));
    const id = (res.body.incidents as Array<{ id: string }>)[0]!.id;
    const row = page.locator(`[data-testid="incident-row"][data-id="${id}"]`);
    await row.waitFor({ timeout: 15_000 });
    await row.locator("text=awaiting approval").waitFor({ timeout: 30_000 });
    expect(navigations).toEqual([]);
    await shoot(page, "incidents");

    await row.locator("a").click();
    await page.locator('[data-testid="incident"][data-status="awaiting_approval"]').waitFor();
    expect(await page.getByTestId("decision-action").textContent()).toBe("restart_container");
    await page.getByTestId("contributions").locator("canvas").waitFor();
    await shoot(page, "incident-awaiting-approval");

    await page.getByTestId("approve").click();
    await page.locator('[data-testid="incident"][data-status="resolved"]').waitFor({ timeout: 45_000 });
    expect(await page.getByTestId("actions").textContent()).toContain("restart_container");
    expect(await page.getByTestId("verification").textContent()).toContain("healthy");
    expect(await page.getByTestId("verification").textContent()).toContain("health_url");
    expect((await page.getByTestId("root-cause").textContent())?.length).toBeGreaterThan(20);
    const timeline = (await page.getByTestId("timeline").textContent()) ?? "";
    expect(timeline).toMatch(/approve/);
    expect(timeline).toMatch(/resolved/);
    await shoot(page, "incident-resolved");

    // The API agrees with the page: the approval resumed the incident and it healed.
    const incident = (await (
      await fetch(`${t.baseUrl}/api/incidents/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { status: string; actions: unknown[] };
    expect(incident.status).toBe("resolved");
    expect(incident.actions).toHaveLength(1);

    // The list's filters: by status, by source, by a part of the target's name (the page names its query).
    await page.goto(`${t.baseUrl}/#/`);
    await row.waitFor();
    const filter = async (set: () => Promise<unknown>, query: string) => {
      await set();
      await page.locator(`[data-testid="incidents"][data-loaded="${query}"]`).waitFor();
    };
    const select = (field: string, value: string) => () =>
      page.selectOption(`[data-testid="filters"] select[name=${field}]`, value);
    const search = (text: string) => async () => {
      await page.fill('[data-testid="filters"] input[name=target]', text);
      await page.press('[data-testid="filters"] input[name=target]', "Enter");
    };
    await filter(select("status", "awaiting_approval"), "status=awaiting_approval");
    expect(await page.getByTestId("no-incidents").textContent()).toContain("No incident matches");
    await filter(select("status", "resolved"), "status=resolved");
    expect(await row.count()).toBe(1);
    await filter(select("source", "predictive"), "status=resolved&source=predictive");
    expect(await row.count()).toBe(0);
    await filter(select("source", "alert"), "status=resolved&source=alert");
    await filter(search("no-such-service"), "status=resolved&source=alert&target=no-such-service");
    expect(await row.count()).toBe(0);
    const part = name.slice(-10).toUpperCase();
    await filter(search(part), `status=resolved&source=alert&target=${part}`);
    expect(await row.count()).toBe(1);
    expect(await page.locator('[data-testid="incident-row"]').count()).toBe(1);
  });

  it("shows the overview's charts and the runbook memory", async () => {
    await page.goto(`${t.baseUrl}/#/overview`);
    await page.getByTestId("recovery-chart").locator("canvas").waitFor();
    await page.getByTestId("actions-chart").locator("canvas").waitFor();
    expect(await page.getByTestId("slo").textContent()).toContain("healed of finished (1/1)");
    // The autonomy report: no SLO in the default policy says so; the failed-heal budget is listed.
    await page.getByTestId("slo-table").waitFor();
    expect(await page.getByTestId("slo-table").textContent()).toContain("No SLO in the policy");
    expect(await page.getByTestId("autonomy").textContent()).toContain("restart_container");
    await shoot(page, "overview");

    await page.goto(`${t.baseUrl}/#/runbooks`);
    await page.getByTestId("runbook-list").waitFor();
    await page.fill('[data-testid="runbook-search"]', "memory keeps growing until OOM");
    await page.press('[data-testid="runbook-search"]', "Enter");
    await expect.poll(() => page.getByTestId("runbook-list").textContent()).toContain("memory_leak");
    await page.getByTestId("runbook-list").locator("a").first().click();
    await page.getByTestId("runbook-entry").waitFor();
    // The entry names its file, not where the server keeps it.
    const entry = (await page.getByTestId("runbook-entry").textContent()) ?? "";
    expect(entry).toContain("memory_leak.md");
    expect(entry).not.toContain(fileURLToPath(new URL("../../runbooks/", import.meta.url)));
    await shoot(page, "runbooks");
  });

  it("shows a predictive incident's forecast: the series, the limit and the predicted crossing", async () => {
    // What the watcher does with a forecast: the registry keeps it, its alert enters the pipeline.
    const at = Date.now();
    const alert = await t.aegis.predictions.record(leakPrediction(`${h.prefix}-grower`, at));
    const res = await postAlerts(t.baseUrl, { ...retargeted({}), alerts: [alert] });
    const id = (res.body.incidents as Array<{ id: string }>)[0]!.id;

    // A page of its own (a fresh context: no session, no filters from the tests before).
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await logIn(page, t.baseUrl, TOKEN);
    await page.locator(`[data-testid="incident-row"][data-id="${id}"] .tag`).waitFor();
    await page.goto(`${t.baseUrl}/#/incidents/${id}`);
    await page.getByTestId("forecast-chart").locator("canvas").waitFor();
    const crossing = (await page.getByTestId("forecast-crossing").textContent()) ?? "";
    expect(crossing).toContain("limit (512 MiB)");
    expect(await page.getByTestId("forecast").textContent()).toContain("reached in 17 min");
    // The crossing named on the page is 17 min after the prediction, as the browser writes times.
    expect(crossing.replace(/\s+/g, " ")).toContain(
      await page.evaluate(
        (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }),
        at + 17 * 60_000,
      ),
    );
    await shoot(page, "incident-forecast");
    await page.close();
  });
});
