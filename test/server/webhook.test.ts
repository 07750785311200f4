import { request } from "node:http";
import { deflateSync, gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixture, retarget, startTestServer, type TestServer } from "./helpers.ts";

/**
 * The webhook runs on bare node `http` (server/webhook.ts) rather than express: these pin down the parts
 * of express's behaviour it keeps (encodings, charsets, paths, other methods) and its size cap.
 */
describe("POST /alerts on the lean handler", () => {
  let srv: TestServer;
  beforeEach(async () => {
    srv = await startTestServer();
  });
  afterEach(async () => {
    await srv.close();
  });

  const body = (container = "shop-api") => JSON.stringify(retarget(fixture("am-webhook-firing"), container));
  const send = (payload: string | Buffer, headers: Record<string, string>, path = "/alerts") =>
    fetch(`${srv.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: payload,
    });
  const error = async (res: Response) => (await res.json()) as { error: string; message: string };

  it.each([
    ["gzip", gzipSync],
    ["deflate", deflateSync],
  ])("accepts a %s-encoded body", async (encoding, compress) => {
    const res = await send(compress(body()), { "content-encoding": encoding });
    expect(res.status).toBe(202);
    expect(srv.counts().alerts).toBe(1);
  });

  it("caps the body after decompression: 413, nothing written", async () => {
    const payload = retarget(fixture("am-webhook-firing"), "shop-api");
    payload.alerts[0]!.annotations.description = "x".repeat(1.5 * 1024 * 1024);
    const res = await send(gzipSync(JSON.stringify(payload)), { "content-encoding": "gzip" });
    expect(res.status).toBe(413);
    expect((await error(res)).error).toBe("payload_too_large");
    expect(srv.counts()).toEqual({ incidents: 0, alerts: 0, timeline: 0 });
  });

  it("answers 413 as soon as a streamed body passes 1 MiB, without waiting for the rest", async () => {
    const reply = await new Promise<{ status: number; text: string; connection: string | undefined }>(
      (resolve, reject) => {
        const req = request(
          `${srv.url}/alerts`,
          { method: "POST", headers: { "content-type": "application/json" } },
          (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => (text += chunk));
            res.on("end", () => {
              resolve({ status: res.statusCode ?? 0, text, connection: res.headers.connection });
              req.destroy();
            });
          },
        );
        req.on("error", reject);
        // 1.25 MiB and the body never ends: only an early answer can settle this.
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        for (let i = 0; i < 20; i++) req.write(chunk);
      },
    );
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.text)).toMatchObject({ error: "payload_too_large" });
    expect(reply.connection).toBe("close");
    expect(srv.counts()).toEqual({ incidents: 0, alerts: 0, timeline: 0 });
  });

  it("refuses what express.json refused: other charsets and unknown encodings → 415", async () => {
    const latin1 = await send(body(), { "content-type": "application/json; charset=latin1" });
    expect(latin1.status).toBe(415);
    expect(await error(latin1)).toEqual({
      error: "unsupported_media_type",
      message: 'unsupported charset "LATIN1"',
    });
    const compress = await send(body(), { "content-encoding": "compress" });
    expect(compress.status).toBe(415);
    expect((await error(compress)).message).toBe('unsupported content encoding "compress"');
    expect(srv.counts().alerts).toBe(0);
  });

  it("decodes a UTF-16 body and drops a byte order mark, as express.json did", async () => {
    const utf16 = await send(Buffer.from(`\ufeff${body("a")}`, "utf16le"), {
      "content-type": "application/json; charset=utf-16le",
    });
    expect(utf16.status).toBe(202);
    const bom = await send(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body("b"))]), {});
    expect(bom.status).toBe(202);
    expect(srv.counts().alerts).toBe(2);
  });

  it("names the top-level value of a JSON body that is not an object", async () => {
    const res = await send("123", {});
    expect(res.status).toBe(400);
    expect(await error(res)).toMatchObject({
      error: "alert_payload_invalid",
      message: expect.stringMatching(/^malformed JSON: .*123/),
    });
  });

  it("takes the paths express matched: a trailing slash, any case, a query string", async () => {
    for (const path of ["/alerts/", "/ALERTS", "/alerts?source=am"]) {
      expect((await send(body(), {}, path)).status).toBe(202);
    }
    expect((await send(body(), {}, "/alerts/extra")).status).toBe(404);
  });

  it("leaves other methods to express: OPTIONS lists POST, GET is a JSON 404", async () => {
    const options = await fetch(`${srv.url}/alerts`, { method: "OPTIONS" });
    expect(options.status).toBe(200);
    expect(options.headers.get("allow")).toBe("POST");
    const get = await fetch(`${srv.url}/alerts`);
    expect(get.status).toBe(404);
    expect(await error(get)).toEqual({ error: "not_found", message: "no route for GET /alerts" });
  });
});
