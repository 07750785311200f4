import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { freePort, waitFor } from "./docker.ts";

/** A real Prometheus (Debian's 2.42) on 127.0.0.1, scraping the given targets every 200 ms. */
export interface TestPrometheus {
  url: string;
  stop(): Promise<void>;
}

export async function startPrometheus(targets: string[]): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "aegis-prom-"));
  const port = await freePort();
  writeFileSync(
    join(dir, "prometheus.yml"),
    [
      "global:",
      "  scrape_interval: 200ms",
      "  evaluation_interval: 200ms",
      "scrape_configs:",
      "  - job_name: target",
      "    scrape_timeout: 150ms",
      "    static_configs:",
      `      - targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]`,
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=http://127.0.0.1:${port}`,
    ],
    { stdio: "ignore" },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Targets are discovered a few seconds after start; wait until every one is scraped up.
    await waitFor(
      async () => {
        const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent("sum(up)")}`);
        const body = (await res.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
        return Number(body.data?.result?.[0]?.value[1] ?? 0) === targets.length;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: "Prometheus to scrape its targets" },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}

/**
 * Per test file: an exporter on 127.0.0.1 that answers every scrape with `exposition()` (the text format), and a real
 * Prometheus scraping it; both started before the file's tests and stopped after them. `url` is Prometheus'.
 */
export function usePrometheusScraping(exposition: () => string): { readonly url: string } {
  let exporter: Server | undefined;
  let prom: TestPrometheus | undefined;
  beforeAll(async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(exposition());
    });
    exporter = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    prom = await startPrometheus([`127.0.0.1:${(server.address() as AddressInfo).port}`]);
  }, 60_000);
  afterAll(async () => {
    await prom?.stop();
    await new Promise((resolve) => exporter?.close(resolve));
  });
  return {
    get url() {
      if (!prom) throw new Error("Prometheus is not running: the file's beforeAll has not run");
      return prom.url;
    },
  };
}
