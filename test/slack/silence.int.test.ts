import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAlertmanager, type RunningAlertmanager } from "../../lab/stack/alertmanager.ts";
import { PROFILES } from "../../lab/stack/profiles.ts";
import { postToSlackEndpoint, slashCommandBody } from "../helpers/fakeSlack.ts";
import {
  ALICE,
  approvalPolicy,
  MALLORY,
  SIGNING_SECRET,
  startSlackHarness,
  type SlackHarness,
} from "./harness.ts";

describe("/aegis silence against a real Alertmanager", () => {
  let am: RunningAlertmanager;
  let h: SlackHarness;
  const dir = mkdtempSync(join(tmpdir(), "aegis-silence-"));

  beforeAll(async () => {
    am = await startAlertmanager({ dir, profile: PROFILES.fast, webhookUrl: "http://127.0.0.1:9/alerts" });
    h = await startSlackHarness(approvalPolicy(), { env: { ALERTMANAGER_URL: am.url } });
  });
  afterAll(async () => {
    await h?.stop();
    await am?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const command = async (userId: string, text: string) => {
    const body = slashCommandBody({ userId, text, responseUrl: h.slack.responseUrl });
    const res = await postToSlackEndpoint(h.baseUrl, SIGNING_SECRET, body);
    return (JSON.parse(res.text) as { text: string }).text;
  };

  it("an approver's silence is created with matchers, end time and who asked; anyone else's is refused", async () => {
    expect(await command(MALLORY, "silence shop/checkout 2h")).toMatch(/Only approvers/);
    const reply = await command(ALICE, "silence shop/checkout 2h");
    expect(reply).toMatch(/Silenced namespace=shop, deployment=checkout for 2h/);
    const silences = (await (await fetch(`${am.url}/api/v2/silences`)).json()) as Array<{
      matchers: Array<{ name: string; value: string }>;
      endsAt: string;
      createdBy: string;
      status: { state: string };
    }>;
    expect(silences).toHaveLength(1);
    const s = silences[0]!;
    expect(s.status.state).toBe("active");
    expect(s.matchers.map((m) => `${m.name}=${m.value}`).sort()).toEqual([
      "deployment=checkout",
      "namespace=shop",
    ]);
    expect(s.createdBy).toContain(ALICE);
    const hours = (Date.parse(s.endsAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(1.9);
    expect(hours).toBeLessThanOrEqual(2);
  });
});
