import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboard } from "../../../server/dashboard/build.ts";
import { getIncident, TEST_API_TOKEN } from "../../helpers/aegis.ts";
import { launchChromium, logIn, shoot } from "../../helpers/browser.ts";
import { useKubeHarness } from "./harness.ts";
import { imageOf, restartRollout, rollBackCheckout, undoRecords } from "./undoHelpers.ts";

const h = useKubeHarness();
let browser: Browser;
let page: Page;

beforeAll(async () => {
  await buildDashboard();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
});

describe("undo in the dashboard, in Chromium", () => {
  it("a rolled-back release: the incident page warns of a newer rollout, Undo anyway rolls forward, the page shows it", async () => {
    const { incident, bad } = await rollBackCheckout(h);
    const base = h.aegis.baseUrl;
    await logIn(page, base, TEST_API_TOKEN);
    await page.goto(`${base}/#/incidents/${incident.id}`);
    await page.locator('[data-testid="incident"][data-status="resolved"]').waitFor();
    const undo = page.getByTestId("undo");
    expect(await undo.textContent()).toContain("Undo rollback_deployment");

    // Without the page's CSRF token (another site's form, a script) the undo is refused and nothing changes.
    const forged = await page.evaluate(async (id) => {
      const res = await fetch(`/ui/api/incidents/${id}/undo`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      return res.status;
    }, incident.id);
    expect(forged).toBe(403);

    // Someone rolled checkout out again since: the page says so and changes nothing until asked again.
    await restartRollout(h.sim(), "checkout", h.sim().tokenFor("aegisops", "aegisops"));
    const restarted = imageOf(h.sim(), "checkout");
    page.once("dialog", (d) => void d.accept());
    await undo.click();
    const warning = page.getByTestId("undo-warning");
    await warning.waitFor();
    expect(await warning.textContent()).toMatch(/was rolled out again after the rollback/);
    expect(imageOf(h.sim(), "checkout")).toBe(restarted);
    await shoot(page, "incident-undo-warning");

    await page.getByTestId("undo-anyway").click();
    const actions = page.getByTestId("actions");
    await expect.poll(() => actions.textContent(), { timeout: 15_000 }).toMatch(/undone: rolled forward/);
    expect(await actions.textContent()).toContain("undo of rollback_deployment by dashboard");
    expect(await page.getByTestId("undo").count()).toBe(0);
    expect(imageOf(h.sim(), "checkout")).toBe(bad);
    await shoot(page, "incident-undone");

    const after = await getIncident(base, incident.id);
    expect(undoRecords(after)).toEqual([
      expect.objectContaining({
        state: "sent",
        params: expect.objectContaining({ via: "dashboard", confirmedOver: ["changed_since"] }),
      }),
    ]);
  });
});
