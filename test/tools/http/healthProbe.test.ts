import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createHealthProbeTool,
  probeFailureInWords,
  probeHealth,
  probeHealthRepeatedly,
} from "../../../tools/http/healthProbe.ts";
import { freePort } from "../../helpers/docker.ts";

let server: Server;
let flakyCalls = 0;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/health") return void res.end("ok");
    if (req.url === "/broken") {
      res.statusCode = 500;
      return void res.end("internal error");
    }
    if (req.url === "/reset") return void req.socket.destroy();
    if (req.url === "/flaky") {
      flakyCalls++;
      if (flakyCalls === 1) return void req.socket.destroy();
      return void res.end("ok");
    }
    // /hang: accept and never answer, as a hung service does.
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("http_health_probe", () => {
  it("reports a healthy endpoint with its status and latency", async () => {
    const result = await createHealthProbeTool().execute({ url: `${base}/health` });
    expect(result).toMatchObject({ ok: true, status: 200, error: null });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("reports a 500 as http_error, not as an exception", async () => {
    expect(await probeHealth(`${base}/broken`, 1000)).toMatchObject({
      ok: false,
      status: 500,
      error: "http_error",
    });
  });

  it("reports a service that never answers as timeout", async () => {
    const result = await probeHealth(`${base}/hang`, 300);
    expect(result).toMatchObject({ ok: false, status: null, error: "timeout" });
    expect(result.latencyMs).toBeGreaterThanOrEqual(250);
  });

  it("reports a closed port as connection_refused", async () => {
    const port = await freePort();
    expect(await probeHealth(`http://127.0.0.1:${port}/health`, 1000)).toMatchObject({
      ok: false,
      status: null,
      error: "connection_refused",
    });
  });

  it("rejects a URL that is not http(s) before probing", async () => {
    await expect(createHealthProbeTool().execute({ url: "file:///etc/passwd" })).rejects.toThrow(/http/);
  });
});

describe("failures in plain words, probed more than once", () => {
  it("a server that closes the connection without an answer → connection_closed, said plainly", async () => {
    const r = await probeHealth(`${base}/reset`, 1000);
    expect(r).toMatchObject({ ok: false, status: null, error: "connection_closed" });
    expect(probeFailureInWords(r)).toBe("closed the connection without an answer");
  });

  it("HTTPS to a server that speaks plain HTTP → a TLS handshake failure, said plainly", async () => {
    const r = await probeHealth(`${base.replace("http:", "https:")}/health`, 1000);
    expect(r.ok).toBe(false);
    expect(probeFailureInWords(r)).toMatch(/^failed the TLS handshake \(/);
  });

  it("refused and 5xx in words", async () => {
    const port = await freePort();
    expect(probeFailureInWords(await probeHealth(`http://127.0.0.1:${port}/`, 1000))).toBe(
      "refused the connection (nothing listens on that port)",
    );
    expect(probeFailureInWords(await probeHealth(`${base}/broken`, 1000))).toBe(
      "answered HTTP 500 (a server error)",
    );
  });

  it("one failure among later successes is a blip: the majority (healthy) wins, every probe kept", async () => {
    flakyCalls = 0;
    const { result, probes } = await probeHealthRepeatedly(`${base}/flaky`, 1000, 10);
    expect(probes.map((p) => p.ok)).toEqual([false, true, true]);
    expect(result.ok).toBe(true);
  });

  it("a failure another witness shows sustained stands without a second probe; one it does not goes on probing", async () => {
    const confirmed = await probeHealthRepeatedly(
      `${base}/broken`,
      1000,
      10,
      async () => "12 errors at 4 scrapes",
    );
    expect(confirmed.probes).toHaveLength(1);
    expect(confirmed.result).toMatchObject({ ok: false, status: 500 });
    expect(confirmed.confirmedBy).toBe("12 errors at 4 scrapes");
    flakyCalls = 0;
    const blip = await probeHealthRepeatedly(`${base}/flaky`, 1000, 10, async () => undefined);
    expect(blip.probes.map((p) => p.ok)).toEqual([false, true, true]);
    expect(blip.result.ok).toBe(true);
    expect(blip.confirmedBy).toBeUndefined();
  });

  it("waits between probes on the clock it is given, so a simulated clock moves by exactly the gaps", async () => {
    const waits: number[] = [];
    let t = 0;
    const clock = { now: () => t, sleep: async (ms: number) => void (waits.push(ms), (t += ms)) };
    flakyCalls = 0;
    // A 10-minute gap would time the test out on the machine's clock.
    const { probes } = await probeHealthRepeatedly(`${base}/flaky`, 1000, 600_000, undefined, clock);
    expect(probes.map((p) => p.ok)).toEqual([false, true, true]);
    expect(waits).toEqual([600_000, 600_000]);
  });

  it("a failure that repeats is the result", async () => {
    const { result, probes } = await probeHealthRepeatedly(`${base}/reset`, 1000, 10);
    expect(probes).toHaveLength(2);
    expect(result).toMatchObject({ ok: false, error: "connection_closed" });
  });
});
