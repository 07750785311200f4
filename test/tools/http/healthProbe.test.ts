import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHealthProbeTool, probeHealth } from "../../../tools/http/healthProbe.ts";
import { freePort } from "../../helpers/docker.ts";

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/health") return void res.end("ok");
    if (req.url === "/broken") {
      res.statusCode = 500;
      return void res.end("internal error");
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
