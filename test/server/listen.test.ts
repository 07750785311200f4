import { describe, expect, it } from "vitest";
import { startServer } from "../../server/listen.ts";

describe("startServer", () => {
  it("binds port 0 to a free port and reports its URL", async () => {
    const running = await startServer((_req, res) => res.end("hi"), "127.0.0.1", 0);
    try {
      expect(running.port).toBeGreaterThan(0);
      expect(running.url).toBe(`http://127.0.0.1:${running.port}`);
      expect(await (await fetch(running.url)).text()).toBe("hi");
    } finally {
      await running.close();
    }
  });

  it("rejects when the port is taken", async () => {
    const first = await startServer((_req, res) => res.end(), "127.0.0.1", 0);
    try {
      await expect(startServer((_req, res) => res.end(), "127.0.0.1", first.port)).rejects.toThrow(
        /EADDRINUSE/,
      );
    } finally {
      await first.close();
    }
  });

  it("close() lets an in-flight request finish, then refuses new connections", async () => {
    const running = await startServer(
      (_req, res) => {
        setTimeout(() => res.end("done"), 300);
      },
      "127.0.0.1",
      0,
    );
    const inFlight = fetch(running.url).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 50));
    const closed = running.close(5_000);
    expect(await inFlight).toBe("done");
    await closed;
    await expect(fetch(running.url)).rejects.toThrow();
  });

  it("close() cuts requests that outlive the grace period", async () => {
    const running = await startServer(
      () => {
        // never answers
      },
      "127.0.0.1",
      0,
    );
    const hung = fetch(running.url).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await running.close(200);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await hung).toBeInstanceOf(Error);
  });
});
