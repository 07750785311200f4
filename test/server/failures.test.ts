import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../core/logger.ts";
import { fixture, retarget, startTestServer, type TestServer } from "./helpers.ts";

describe("when things go wrong", () => {
  let srv: TestServer | undefined;
  afterEach(async () => {
    await srv?.close();
    srv = undefined;
  });

  it("answers a store failure with a JSON 500 that carries no internals, and health turns 503", async () => {
    srv = await startTestServer();
    srv.db.close();

    const res = await srv.post(retarget(fixture("am-webhook-firing"), "shop-api"));
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: "internal", message: "internal error" });
    expect(text).not.toMatch(/sqlite|database|\.ts:|at /i);
    expect(srv.accepted).toEqual([]);

    const health = await fetch(`${srv.url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: "unavailable" });
  });

  it("logs a rejected request with its reason, never the token or the payload", async () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on("data", (chunk: Buffer) => lines.push(...chunk.toString("utf8").split("\n").filter(Boolean)));
    srv = await startTestServer(
      { AEGIS_WEBHOOK_TOKEN: "right-token" },
      { logger: createLogger({ level: "debug", destination: out }) },
    );

    await srv.post(retarget(fixture("am-webhook-firing"), "shop-api"), { token: "leaked-wrong-token" });
    await srv.post(
      { version: "4", groupKey: "g", status: "firing", receiver: "r", alerts: [] },
      {
        token: "right-token",
      },
    );
    await srv.post(retarget(fixture("am-webhook-firing"), "shop-api"), { token: "right-token" });
    await new Promise((r) => setImmediate(r));

    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const rejected = entries.filter((e) => e.msg === "request rejected");
    expect(rejected).toEqual([
      expect.objectContaining({ module: "server", status: 401, error: "unauthorized", path: "/alerts" }),
      expect.objectContaining({
        status: 400,
        error: "alert_payload_invalid",
        reason: expect.stringMatching(/^alerts:/),
      }),
    ]);
    expect(entries.some((e) => e.msg === "request" && e.status === 202)).toBe(true);
    const all = lines.join("\n");
    expect(all).not.toContain("leaked-wrong-token");
    expect(all).not.toContain("right-token");
    expect(all).not.toContain("Memory 3e+08");
  });
});
