import { PassThrough } from "node:stream";
import { gzipSync } from "node:zlib";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../core/logger.ts";
import { exposureWarnings } from "../../server/exposure.ts";
import { postAlerts } from "../helpers/alerts.ts";
import { startTestAegis, type TestAegis } from "../helpers/aegis.ts";
import { fixture, retarget, startTestServer, type TestServer } from "../server/helpers.ts";

/** The small ones: exposure without a token, a health check that cannot write, hostile bodies, log floods. */
let srv: TestServer | undefined;
let t: TestAegis | undefined;
afterEach(async () => {
  await srv?.close();
  await t?.stop();
  srv = undefined;
  t = undefined;
});

function capture() {
  const out = new PassThrough();
  const lines: Array<{ msg: string; [k: string]: unknown }> = [];
  out.on("data", (c: Buffer) => {
    for (const l of c.toString("utf8").split("\n").filter(Boolean)) lines.push(JSON.parse(l));
  });
  return { logger: createLogger({ level: "info", destination: out }), lines };
}

describe("listening beyond loopback", () => {
  const open = { webhookToken: undefined, apiToken: undefined, apiPublic: false };
  it("without a webhook token is a loud warning; loopback or a token is not", () => {
    for (const host of ["0.0.0.0", "::", "10.1.2.3", "[::]"])
      expect(exposureWarnings(host, open).join(" "), host).toMatch(
        /^SECURITY: .*without AEGIS_WEBHOOK_TOKEN/,
      );
    for (const host of ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
      expect(exposureWarnings(host, open), host).toEqual([]);
    expect(exposureWarnings("0.0.0.0", { ...open, webhookToken: "t" })).toEqual([]);
    expect(exposureWarnings("0.0.0.0", { ...open, webhookToken: "t", apiPublic: true }).join(" ")).toMatch(
      /AEGIS_API_PUBLIC=true/,
    );
  });
});

describe("/healthz", () => {
  it("answers 503 while the database cannot take a write, 200 again once it can", async () => {
    srv = await startTestServer();
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
    // Another writer holds the database's write lock (a stuck process, a backup tool): alerts cannot be stored.
    const other = new Database(srv.db.name);
    other.exec("BEGIN EXCLUSIVE");
    other
      .prepare(
        "INSERT INTO health_probe (id, at) VALUES (1, 'held') ON CONFLICT(id) DO UPDATE SET at = 'held'",
      )
      .run();
    try {
      const res = await fetch(`${srv.url}/healthz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({
        status: "unavailable",
        checks: { database: expect.stringMatching(/locked|busy/i) },
      });
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
  });
});

describe("hostile webhook bodies", () => {
  const send = (body: Buffer | string, headers: Record<string, string>) =>
    fetch(`${srv!.url}/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });

  it("a corrupt or truncated gzip body is a 400 that names the encoding, and nothing is stored", async () => {
    srv = await startTestServer();
    const good = gzipSync(JSON.stringify(retarget(fixture("am-webhook-firing"), "gz")));
    const bodies = [
      Buffer.from("this is not gzip at all"),
      good.subarray(0, good.length - 12),
      Buffer.concat([good.subarray(0, 20), Buffer.alloc(40, 7)]),
    ];
    for (const body of bodies) {
      const res = await send(body, { "content-encoding": "gzip" });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        error: "request_invalid",
        message: expect.stringMatching(/^the body is not valid gzip data: /),
      });
    }
    expect(srv.counts()).toEqual({ incidents: 0, alerts: 0, timeline: 0 });
    expect((await send(good, { "content-encoding": "gzip" })).status).toBe(202);
  });

  it.each(["__proto__", "constructor", "prototype"])(
    "a %s label or annotation is a 400 naming it, not dropped",
    async (key) => {
      srv = await startTestServer();
      const payload = JSON.stringify(retarget(fixture("am-webhook-firing"), "proto"));
      for (const [where, path] of [
        ['"labels":{', "alerts.0.labels"],
        ['"annotations":{', "alerts.0.annotations"],
        ['"commonLabels":{', "commonLabels"],
      ] as const) {
        const i = payload.indexOf(where);
        expect(i, where).toBeGreaterThan(-1);
        const body = `${payload.slice(0, i + where.length)}"${key}":"x",${payload.slice(i + where.length)}`;
        const res = await send(body, {});
        expect(res.status, where).toBe(400);
        const answer = (await res.json()) as { error: string; message: string };
        expect(answer.error).toBe("alert_payload_invalid");
        expect(answer.message).toBe(
          `${path}: the name "${key}" is refused (a property of every JavaScript object); rename it in the alert rule or drop it with alert_relabel_configs`,
        );
      }
      expect(srv.counts()).toEqual({ incidents: 0, alerts: 0, timeline: 0 });
    },
  );
});

describe("log floods", () => {
  it("fifty requests with a bad token write one line", async () => {
    const { logger, lines } = capture();
    srv = await startTestServer({ AEGIS_WEBHOOK_TOKEN: "right" }, { logger });
    for (let i = 0; i < 50; i++) {
      const res = await srv.post(retarget(fixture("am-webhook-firing"), "flood"), { token: `wrong-${i}` });
      expect(res.status).toBe(401);
    }
    const rejected = lines.filter((l) => l.msg.startsWith("request rejected"));
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ status: 401, suppressed: 0 });
  });

  it("an alert storm that overflows the agent's queue says so once, not once per incident", async () => {
    const { logger, lines } = capture();
    t = await startTestAegis({ AEGIS_QUEUE_SIZE: "1", AEGIS_WORKERS: "1" }, { logger });
    const base = fixture("am-webhook-firing");
    const alert = base.alerts[0]!;
    const alerts = Array.from({ length: 30 }, (_, i) => ({
      ...alert,
      labels: { alertname: "Storm", service: `unmapped-${i}` },
      fingerprint: `qf${i}`,
    }));
    expect((await postAlerts(t.baseUrl, { ...base, alerts })).status).toBe(202);
    const full = lines.filter((l) => l.msg.startsWith("agent queue full"));
    expect(full).toHaveLength(1);
    await t.aegis.runner.idle();
  });
});
