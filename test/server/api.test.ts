import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Incident } from "../../core/types.ts";
import { expectSeries, fixture, retarget, startTestServer, type TestServer } from "./helpers.ts";

describe("incident API, health and metrics", () => {
  let srv: TestServer;
  const ids: string[] = [];

  beforeAll(async () => {
    srv = await startTestServer({ AEGIS_WEBHOOK_TOKEN: "hook", AEGIS_API_TOKEN: "api" });
    // Three incidents, oldest first.
    for (const container of ["web-1", "web-2", "web-3"]) {
      const res = await srv.post(retarget(fixture("am-webhook-firing"), container), { token: "hook" });
      const body = (await res.json()) as { incidents: Array<{ id: string }> };
      ids.push(body.incidents[0]!.id);
    }
  });
  afterAll(async () => {
    await srv.close();
  });

  const get = (path: string) => fetch(`${srv.url}${path}`, { headers: { authorization: "Bearer api" } });

  it("reading the API needs the API token", async () => {
    for (const path of ["/api/incidents", `/api/incidents/${ids[0]}`]) {
      const res = await fetch(`${srv.url}${path}`);
      expect(res.status, path).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      const wrong = await fetch(`${srv.url}${path}`, { headers: { authorization: "Bearer hook" } });
      expect(wrong.status, path).toBe(401);
    }
  });

  it("lists incident summaries newest first with the API token", async () => {
    const res = await get("/api/incidents");
    expect(res.status).toBe(200);
    const { incidents } = (await res.json()) as { incidents: Incident[] };
    expect(incidents.map((i) => i.id)).toEqual([...ids].reverse());
  });

  it("honours ?limit=", async () => {
    const { incidents } = (await (await get("/api/incidents?limit=2")).json()) as { incidents: Incident[] };
    expect(incidents.map((i) => i.id)).toEqual([ids[2], ids[1]]);
  });

  it("filters by ?status=", async () => {
    const open = (await (await get("/api/incidents?status=open")).json()) as { incidents: Incident[] };
    expect(open.incidents).toHaveLength(3);
    const resolved = (await (await get("/api/incidents?status=resolved")).json()) as {
      incidents: Incident[];
    };
    expect(resolved.incidents).toEqual([]);
  });

  it("rejects an unknown status with the allowed list", async () => {
    const res = await get("/api/incidents?status=bogus");
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe("request_invalid");
    expect(body.message).toContain("open, investigating, awaiting_approval");
    expect(body.message).toContain("bogus");
  });

  it.each(["0", "201", "500", "abc", "2.5", "-1"])("rejects ?limit=%s", async (limit) => {
    const res = await get(`/api/incidents?limit=${limit}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(
      /limit must be an integer from 1 to 200/,
    );
  });

  it("answers an unknown incident id with a JSON 404", async () => {
    const res = await get("/api/incidents/inc_20260101_deadbeef");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    expect(await res.json()).toMatchObject({ error: "not_found" });
  });

  it("answers an unknown route with a JSON 404", async () => {
    const res = await get("/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "not_found" });
  });

  it("reports health", async () => {
    const res = await get("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
  });

  it("exposes counters that move with the webhook traffic", async () => {
    const scrape = async () => {
      const res = await get("/metrics");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      return res.text();
    };

    const before = await scrape();
    expectSeries(before, {
      'aegis_alerts_received_total{outcome="created"}': 3,
      'aegis_incidents{status="open"}': 3,
    });

    await srv.post(retarget(fixture("am-webhook-firing"), "web-1"), { token: "hook" }); // repeat
    await srv.post(retarget(fixture("am-webhook-firing"), "web-1"), { token: "wrong" }); // 401
    await srv.post("{", { token: "hook" }); // 400

    const after = await scrape();
    expectSeries(after, {
      'aegis_alerts_received_total{outcome="repeat"}': 1,
      'aegis_webhook_requests_total{code="202"}': 4,
      'aegis_webhook_requests_total{code="401"}': 1,
      'aegis_webhook_requests_total{code="400"}': 1,
      aegis_webhook_duration_seconds_count: 6,
      'aegis_webhook_duration_seconds_bucket{le="+Inf"}': 6,
    });
    expect(after).toContain("# TYPE aegis_webhook_duration_seconds histogram");
  });
});
