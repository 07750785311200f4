import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import {
  alertmanagerStateSchema,
  startFakeAlertmanager,
  type FakeAlertmanager,
} from "../../evals/harness/fakeAlertmanager.ts";
import { listUnresolvedAlerts } from "../../tools/alertmanager/alerts.ts";

let am: FakeAlertmanager | undefined;
afterEach(async () => {
  await am?.stop();
  am = undefined;
});

const t0 = Date.now();
const state = alertmanagerStateSchema.parse({
  alerts: [
    { labels: { alertname: "KubePodCrashLooping", namespace: "shop", deployment: "web" } },
    { labels: { alertname: "HighErrorRate", namespace: "shop", deployment: "checkout" }, endedAgoMs: 60_000 },
  ],
  silences: [{ matchers: [{ name: "deployment", value: "web" }], comment: "web migration window" }],
});

describe("the eval's Alertmanager API v2 stand-in", () => {
  it("serves the scenario's alerts and silences as AegisOps' own client reads them", async () => {
    am = await startFakeAlertmanager(state, () => t0);
    const web = await listUnresolvedAlerts({ alertmanagerUrl: am.url, filter: { deployment: "web" } });
    expect(web).toHaveLength(1);
    expect(web[0]!.status.state).toBe("suppressed");
    // Resolved a minute ago: the API leaves it out, as Alertmanager does.
    expect(
      await listUnresolvedAlerts({ alertmanagerUrl: am.url, filter: { deployment: "checkout" } }),
    ).toEqual([]);
    am.deliver([
      {
        labels: { alertname: "HighErrorRate", namespace: "shop", deployment: "checkout" },
        status: "firing",
        startsAt: new Date(t0).toISOString(),
      },
    ]);
    const checkout = await listUnresolvedAlerts({
      alertmanagerUrl: am.url,
      filter: { deployment: "checkout" },
    });
    expect(checkout.map((a) => a.status.state)).toEqual(["active"]);
  });

  it("keeps an alert resolved when a notification older than its resolution is delivered late", async () => {
    am = await startFakeAlertmanager(state, () => t0);
    am.deliver([
      {
        labels: { alertname: "HighErrorRate", namespace: "shop", deployment: "checkout" },
        status: "firing",
        startsAt: new Date(t0 - 30 * 60_000).toISOString(),
      },
    ]);
    expect(
      await listUnresolvedAlerts({ alertmanagerUrl: am.url, filter: { deployment: "checkout" } }),
    ).toEqual([]);
  });

  it("speaks the wire format amtool expects: silences listed and added", async () => {
    am = await startFakeAlertmanager(state, () => Date.now());
    const amtool = (...args: string[]) =>
      promisify(execFile)("/usr/bin/amtool", [...args, `--alertmanager.url=${am!.url}`], { timeout: 20_000 });
    const q = await amtool("silence", "query", "-o", "extended");
    expect(q.stdout).toMatch(/deployment="web"[\s\S]*web migration window/);
    const add = await amtool(
      "silence",
      "add",
      "alertname=HighErrorRate",
      "--comment=test",
      "--author=eval",
      "--duration=1h",
    );
    expect(add.stdout.trim()).toMatch(/^[0-9a-f-]{36}$/);
    // The only unresolved alert is silenced: hidden by default, listed with --silenced.
    expect(JSON.parse((await amtool("alert", "query", "-o", "json")).stdout)).toHaveLength(0);
    const silenced = JSON.parse(
      (await amtool("alert", "query", "--silenced", "-o", "json")).stdout,
    ) as Array<{
      labels: Record<string, string>;
    }>;
    expect(silenced.map((a) => a.labels.deployment)).toEqual(["web"]);
  });
});
