import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAlertmanager, type RunningAlertmanager } from "../../../lab/stack/alertmanager.ts";
import { PROFILES } from "../../../lab/stack/profiles.ts";
import { listActiveSilences, silenceMatches } from "../../../tools/alertmanager/silences.ts";
import { startTestAegis, waitForFinished, type TestAegis } from "../../helpers/aegis.ts";
import { postAlerts, retargeted } from "../../helpers/alerts.ts";

let am: RunningAlertmanager;
let aegis: TestAegis;
let dir: string;
const suffix = `${process.pid}-${Date.now().toString(36)}`;

/** A silence created through Alertmanager's own API, as `amtool silence add` does. */
async function silence(
  matchers: Array<{ name: string; value: string; isRegex?: boolean; isEqual?: boolean }>,
) {
  const now = Date.now();
  const res = await fetch(`${am.url}/api/v2/silences`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      matchers: matchers.map((m) => ({ isRegex: false, isEqual: true, ...m })),
      startsAt: new Date(now - 1000).toISOString(),
      endsAt: new Date(now + 3_600_000).toISOString(),
      createdBy: "alice",
      comment: "database migration",
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { silenceID: string }).silenceID;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aegis-am-silences-"));
  am = await startAlertmanager({ dir, profile: PROFILES.fast, webhookUrl: "http://127.0.0.1:9/alerts" });
  aegis = await startTestAegis({ ALERTMANAGER_URL: am.url });
});
afterAll(async () => {
  await aegis?.stop();
  await am?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("Alertmanager silences (real Alertmanager 0.25)", () => {
  it("lists active silences with their matchers; equality, regex and negative matchers match as in Alertmanager", async () => {
    const id = await silence([
      { name: "service", value: `db-${suffix}` },
      { name: "instance", value: "10\\.0\\..*", isRegex: true },
      { name: "severity", value: "info", isEqual: false },
    ]);
    const s = (await listActiveSilences({ alertmanagerUrl: am.url })).find((x) => x.id === id)!;
    expect(s.createdBy).toBe("alice");
    expect(silenceMatches(s, { service: `db-${suffix}`, instance: "10.0.3.4", severity: "critical" })).toBe(
      true,
    );
    expect(silenceMatches(s, { service: `db-${suffix}`, instance: "10.0.3.4", severity: "info" })).toBe(
      false,
    );
    expect(silenceMatches(s, { service: `db-${suffix}`, instance: "110.0.3.4", severity: "critical" })).toBe(
      false,
    );
  });

  it("an incident whose alerts a silence covers is dismissed at triage, naming the silence and its comment", async () => {
    const container = `silenced-${suffix}`;
    const id = await silence([{ name: "container", value: container }]);
    const res = await postAlerts(aegis.baseUrl, retargeted({ alertname: "ContainerUnhealthy", container }));
    expect(res.status).toBe(202);
    const incident = await waitForFinished(
      aegis.baseUrl,
      (res.body.incidents as Array<{ id: string }>)[0]!.id,
    );
    expect(incident.status).toBe("dismissed");
    expect(incident.statusReason).toContain(`silence ${id} by alice`);
    expect(incident.statusReason).toContain("database migration");
    expect(incident.actions).toHaveLength(0);
  });

  it("an alert no silence covers goes on as usual", async () => {
    const res = await postAlerts(
      aegis.baseUrl,
      retargeted({ alertname: "ContainerUnhealthy", container: `loud-${suffix}` }),
    );
    const incident = await waitForFinished(
      aegis.baseUrl,
      (res.body.incidents as Array<{ id: string }>)[0]!.id,
    );
    // No such container: triage goes past the silences and escalates.
    expect(incident.status).toBe("escalated");
    expect(incident.statusReason).toMatch(/target_not_found/);
  });

  it("with Alertmanager unreachable, triage goes on and the timeline says why silences were not checked", async () => {
    const blind = await startTestAegis({ ALERTMANAGER_URL: "http://127.0.0.1:9" });
    try {
      const res = await postAlerts(
        blind.baseUrl,
        retargeted({ alertname: "ContainerUnhealthy", container: `x-${suffix}` }),
      );
      const incident = await waitForFinished(
        blind.baseUrl,
        (res.body.incidents as Array<{ id: string }>)[0]!.id,
      );
      expect(incident.status).toBe("escalated");
      expect(incident.timeline.map((t) => t.message).join("\n")).toMatch(
        /could not read Alertmanager's silences/,
      );
    } finally {
      await blind.stop();
    }
  });
});
