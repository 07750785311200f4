import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WebhookPayload } from "../../core/alert.ts";
import type { Evidence, Incident, IncidentSummary } from "../../core/types.ts";
import { DEFAULT_BOUNDS } from "../../store/bounds.ts";
import { SqliteIncidentRepository } from "../../store/incidentRepository.ts";
import { fixture, startTestServer, type TestServer } from "../server/helpers.ts";

/**
 * Attack: `GET /api/incidents?limit=500` returned 102 MB (RSS 1.2 GB beside a 512 Mi limit), and one storm
 * incident grew to 15,798 timeline entries. Evidence, alerts and timeline are bounded per incident (counted
 * beyond the bound) and the list returns summaries.
 */
const TOKEN = "bounds-token";
let srv: TestServer;
beforeEach(async () => {
  srv = await startTestServer({ AEGIS_API_TOKEN: TOKEN });
});
afterEach(async () => {
  await srv.close();
});

const auth = { authorization: `Bearer ${TOKEN}` };
const get = async <T>(path: string): Promise<{ status: number; bytes: number; body: T }> => {
  const res = await fetch(`${srv.url}${path}`, { headers: auth });
  const text = await res.text();
  return { status: res.status, bytes: Buffer.byteLength(text), body: JSON.parse(text) as T };
};

/** `count` distinct alerts about one container, in notifications of up to 250, all firing or all resolved. */
function storm(container: string, count: number, status: "firing" | "resolved"): WebhookPayload[] {
  const base = fixture(status === "firing" ? "am-webhook-firing" : "am-webhook-resolved");
  const alert = fixture("am-webhook-firing").alerts[0]!;
  const all = Array.from({ length: count }, (_, i) => ({
    ...alert,
    status,
    labels: { ...alert.labels, container, alertname: `Storm${i % 7}`, shard: String(i) },
    annotations: { description: "x".repeat(500) },
    fingerprint: `storm${container}${i}`,
    startsAt: "2026-12-01T00:00:00Z",
  }));
  const out: WebhookPayload[] = [];
  for (let i = 0; i < all.length; i += 250) out.push({ ...base, status, alerts: all.slice(i, i + 250) });
  return out;
}

async function postAll(payloads: WebhookPayload[]): Promise<string[]> {
  const ids: string[] = [];
  for (const p of payloads) {
    const res = await srv.post(p);
    expect(res.status).toBe(202);
    ids.push(...((await res.json()) as { incidents: Array<{ id: string }> }).incidents.map((i) => i.id));
  }
  return [...new Set(ids)];
}

describe("an alert storm on one target", () => {
  it("keeps the incident's alerts and timeline bounded, counts the rest, and still deduplicates and resolves", async () => {
    const N = 1500;
    const [id] = await postAll(storm("storm-api", N, "firing"));
    const { body: incident } = await get<Incident>(`/api/incidents/${id}`);

    expect(incident.alerts).toHaveLength(DEFAULT_BOUNDS.alertsPerIncident);
    expect(incident.omitted?.alerts).toBe(N - DEFAULT_BOUNDS.alertsPerIncident);
    expect(incident.timeline).toHaveLength(DEFAULT_BOUNDS.timelinePerIncident);
    expect(incident.omitted?.timeline).toBe(N - DEFAULT_BOUNDS.timelinePerIncident);
    // The first entries (how it began) and the newest stay.
    expect(incident.timeline[0]!.message).toMatch(/opened the incident/);
    expect(incident.timeline.at(-1)!.message).toMatch(/alert Storm\d joined/);
    expect(srv.counts().timeline).toBe(DEFAULT_BOUNDS.timelinePerIncident);

    // Alertmanager re-sends the whole storm: every alert is a repeat, bounded or not.
    const again = await srv.post(storm("storm-api", N, "firing")[5]!);
    const outcomes = ((await again.json()) as { incidents: Array<{ outcome: string }> }).incidents;
    expect(new Set(outcomes.map((o) => o.outcome))).toEqual(new Set(["repeat"]));

    // Every alert resolves, those past the bound included: the untouched incident is dismissed.
    await postAll(storm("storm-api", N, "resolved"));
    expect((await get<Incident>(`/api/incidents/${id}`)).body.status).toBe("dismissed");
  });
});

describe("evidence", () => {
  it("is bounded per incident: the largest raw observations give way, signals stay", async () => {
    const [id] = await postAll(storm("evidence-api", 1, "firing"));
    const evidence: Evidence = {
      collectedAt: new Date().toISOString(),
      signals: [{ name: "http_errors", value: 12, detail: "12 lines with status 500" }],
      observations: {
        docker_container_logs: {
          lines: Array.from({ length: 50_000 }, (_, i) => `line ${i} ${"y".repeat(80)}`),
        },
        docker_inspect: { state: "running" },
      },
      errors: [],
    };
    await new SqliteIncidentRepository(srv.db).saveEvidence(id!, evidence);
    const { body, bytes } = await get<Incident>(`/api/incidents/${id}`);
    expect(bytes).toBeLessThan(DEFAULT_BOUNDS.evidenceBytes + 64 * 1024);
    expect(body.evidence?.signals).toEqual(evidence.signals);
    expect(body.evidence?.observations.docker_inspect).toEqual({ state: "running" });
    expect(body.evidence?.observations.docker_container_logs).toMatchObject({
      omitted: expect.stringMatching(/bytes past the evidence bound/),
    });
  });
});

describe("GET /api/incidents", () => {
  it("returns bounded summaries; the detail is per incident", async () => {
    const repo = new SqliteIncidentRepository(srv.db);
    const big: Evidence = {
      collectedAt: new Date().toISOString(),
      signals: [],
      observations: { logs: "z".repeat(200_000) },
      errors: [],
    };
    for (let i = 0; i < 40; i++) {
      const [id] = await postAll(storm(`list-${i}`, 30, "firing"));
      await repo.saveEvidence(id!, big);
    }
    const { status, bytes, body } = await get<{ incidents: IncidentSummary[] }>("/api/incidents?limit=200");
    expect(status).toBe(200);
    expect(body.incidents).toHaveLength(40);
    // A summary is about a kilobyte whatever the incident holds.
    expect(bytes / body.incidents.length).toBeLessThan(2048);
    const first = body.incidents[0]!;
    expect(first).toMatchObject({ alertCount: 30, status: "open" });
    expect(first.alertnames.length).toBeGreaterThan(0);
    expect(first).not.toHaveProperty("evidence");
    expect(first).not.toHaveProperty("timeline");
    expect((await get(`/api/incidents?limit=201`)).status).toBe(400);
  });
});
