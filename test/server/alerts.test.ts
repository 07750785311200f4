import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Incident } from "../../core/types.ts";
import { fixture, retarget, startTestServer, type TestServer } from "./helpers.ts";

interface Accepted {
  accepted: number;
  incidents: Array<{ id: string; fingerprint: string; outcome: string }>;
}

describe("POST /alerts", () => {
  let srv: TestServer;
  beforeEach(async () => {
    srv = await startTestServer({ AEGIS_API_TOKEN: "api" });
  });
  afterEach(async () => {
    await srv.close();
  });

  const getIncident = async (id: string) => {
    const res = await fetch(`${srv.url}/api/incidents/${id}`, { headers: { authorization: "Bearer api" } });
    expect(res.status).toBe(200);
    return (await res.json()) as Incident;
  };

  it("accepts the captured firing notification, commits an open incident and hands it to the agent", async () => {
    const payload = retarget(fixture("am-webhook-firing"), "shop-api");
    const fingerprint = payload.alerts[0]!.fingerprint;
    const res = await srv.post(payload);
    expect(res.status).toBe(202);
    const body = (await res.json()) as Accepted;
    expect(body.accepted).toBe(1);
    expect(body.incidents).toHaveLength(1);
    const [entry] = body.incidents;
    expect(entry).toMatchObject({ fingerprint, outcome: "created" });
    expect(srv.accepted).toEqual([[entry!.id]]);

    const incident = await getIncident(entry!.id);
    expect(incident.status).toBe("open");
    expect(incident.target).toMatchObject({ kind: "docker_container", name: "shop-api" });
    expect(incident.alerts).toHaveLength(1);
    expect(incident.alerts[0]).toMatchObject({
      status: "firing",
      fingerprint,
      startsAt: "2026-11-23T15:08:43.971Z",
      labels: { alertname: "HighMemory", container: "shop-api" },
    });
    expect(incident.timeline.map((t) => t.step)).toContain("received");
  });

  it("counts a repeat of the same notification without opening a second incident", async () => {
    const payload = retarget(fixture("am-webhook-firing"), "shop-api");
    const first = (await (await srv.post(payload)).json()) as Accepted;
    const again = await srv.post(payload);
    expect(again.status).toBe(202);
    const body = (await again.json()) as Accepted;
    expect(body.incidents[0]).toMatchObject({ id: first.incidents[0]!.id, outcome: "repeat" });
    expect(srv.counts().incidents).toBe(1);
    // A repeat is nothing new for the agent.
    expect(srv.accepted).toHaveLength(1);
  });

  it("joins another alert for the same container to its open incident", async () => {
    const first = (await (
      await srv.post(retarget(fixture("am-webhook-firing"), "shop-api"))
    ).json()) as Accepted;
    const res = await srv.post(retarget(fixture("am-webhook-injected-firing"), "shop-api"));
    const body = (await res.json()) as Accepted;
    expect(body.incidents[0]).toMatchObject({ id: first.incidents[0]!.id, outcome: "joined" });

    const incident = await getIncident(first.incidents[0]!.id);
    expect(incident.alerts.map((a) => a.labels.alertname)).toEqual(["HighMemory", "InjectedTest"]);
    expect(srv.counts().incidents).toBe(1);
  });

  it("opens a second incident for a different container", async () => {
    const a = (await (await srv.post(retarget(fixture("am-webhook-firing"), "shop-api"))).json()) as Accepted;
    const b = (await (await srv.post(retarget(fixture("am-webhook-firing"), "shop-db"))).json()) as Accepted;
    expect(b.incidents[0]!.outcome).toBe("created");
    expect(b.incidents[0]!.id).not.toBe(a.incidents[0]!.id);
    expect((await getIncident(b.incidents[0]!.id)).target).toMatchObject({ name: "shop-db" });
  });

  it("dismisses an untouched incident when the captured resolved notification arrives", async () => {
    const fired = (await (
      await srv.post(retarget(fixture("am-webhook-firing"), "shop-api"))
    ).json()) as Accepted;
    const res = await srv.post(retarget(fixture("am-webhook-resolved"), "shop-api"));
    expect(res.status).toBe(202);
    const body = (await res.json()) as Accepted;
    expect(body.incidents[0]).toMatchObject({ id: fired.incidents[0]!.id, outcome: "dismissed" });

    const incident = await getIncident(fired.incidents[0]!.id);
    expect(incident.status).toBe("dismissed");
    expect(incident.statusReason).toMatch(/resolved/);
    // Nothing new for the agent: only the firing notification was handed over.
    expect(srv.accepted).toHaveLength(1);
  });

  describe("rejects bad requests without writing anything", () => {
    const error = async (res: Response) => (await res.json()) as { error: string; message: string };

    it("malformed JSON → 400 with a one-line reason", async () => {
      const res = await srv.post('{"version": "4", "alerts": [');
      expect(res.status).toBe(400);
      const body = await error(res);
      expect(body.error).toBe("alert_payload_invalid");
      expect(body.message).toMatch(/^malformed JSON: /);
      expect(body.message).not.toContain("\n");
      expect(body.message).not.toMatch(/ at .*\.js/);
      expect(srv.counts()).toEqual({ incidents: 0, alerts: 0, timeline: 0 });
    });

    it("a field of the wrong type → 400 naming the field", async () => {
      const payload = fixture("am-webhook-firing") as unknown as { alerts: Array<Record<string, unknown>> };
      payload.alerts[0]!.labels = "container=shop-api";
      const res = await srv.post(payload);
      expect(res.status).toBe(400);
      const body = await error(res);
      expect(body.error).toBe("alert_payload_invalid");
      expect(body.message).toMatch(/^alerts\.0\.labels: .*expected record/);
      expect(srv.counts()).toEqual({ incidents: 0, alerts: 0, timeline: 0 });
    });

    it("a wrong payload version → 400 naming `version`", async () => {
      const res = await srv.post({ ...retarget(fixture("am-webhook-firing"), "shop-api"), version: "3" });
      expect(res.status).toBe(400);
      expect((await error(res)).message).toMatch(/^version: /);
      expect(srv.counts().incidents).toBe(0);
    });

    it("a body over 1 MiB → 413", async () => {
      const payload = retarget(fixture("am-webhook-firing"), "shop-api");
      payload.alerts[0]!.annotations.description = "x".repeat(1.5 * 1024 * 1024);
      const res = await srv.post(payload);
      expect(res.status).toBe(413);
      expect((await error(res)).error).toBe("payload_too_large");
      expect(srv.counts()).toEqual({ incidents: 0, alerts: 0, timeline: 0 });
    });

    it("a body that is not JSON → 415", async () => {
      const res = await srv.post("version=4", { contentType: "application/x-www-form-urlencoded" });
      expect(res.status).toBe(415);
      expect((await error(res)).error).toBe("unsupported_media_type");
      expect(srv.counts().incidents).toBe(0);
    });

    it("keeps serving good notifications after bad ones", async () => {
      await srv.post("{nope");
      await srv.post({ version: "4" });
      const big = retarget(fixture("am-webhook-firing"), "x");
      big.alerts[0]!.annotations.description = "x".repeat(1.5 * 1024 * 1024);
      await srv.post(big);
      const res = await srv.post(retarget(fixture("am-webhook-firing"), "shop-api"));
      expect(res.status).toBe(202);
      expect(srv.counts().incidents).toBe(1);
    });
  });
});

describe("POST /alerts with AEGIS_WEBHOOK_TOKEN set", () => {
  let srv: TestServer;
  beforeEach(async () => {
    srv = await startTestServer({ AEGIS_WEBHOOK_TOKEN: "s3cret-webhook-token" });
  });
  afterEach(async () => {
    await srv.close();
  });
  const payload = () => retarget(fixture("am-webhook-firing"), "shop-api");

  it("refuses a request without a token: 401, nothing written", async () => {
    const res = await srv.post(payload());
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await res.json()).toMatchObject({ error: "unauthorized" });
    expect(srv.counts().incidents).toBe(0);
  });

  it("refuses a wrong token: 401, nothing written", async () => {
    const res = await srv.post(payload(), { token: "s3cret-webhook-tokeN" });
    expect(res.status).toBe(401);
    expect(srv.counts().incidents).toBe(0);
  });

  it("refuses a wrong token before looking at the body", async () => {
    const res = await srv.post("{not json", { token: "wrong" });
    expect(res.status).toBe(401);
  });

  it("accepts the right token", async () => {
    const res = await srv.post(payload(), { token: "s3cret-webhook-token" });
    expect(res.status).toBe(202);
    expect(srv.counts().incidents).toBe(1);
    expect(srv.accepted).toHaveLength(1);
  });

  it("still serves a good request after rejected ones", async () => {
    await srv.post(payload());
    await srv.post(payload(), { token: "nope" });
    const res = await srv.post(payload(), { token: "s3cret-webhook-token" });
    expect(res.status).toBe(202);
  });
});
