import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { defaultPolicy } from "../agent/policy/loadPolicy.ts";
import { loadConfig } from "../core/config.ts";
import { silentLogger } from "../core/logger.ts";
import { createApp } from "../server/app.ts";
import { buildDashboard } from "../server/dashboard/build.ts";
import { startServer } from "../server/listen.ts";
import { openDatabase } from "../store/db.ts";
import { SqliteIncidentRepository } from "../store/incidentRepository.ts";
import { percentile, type BenchRow } from "./report.ts";

/**
 * The dashboard's figures: the bundle's size (what a browser downloads once), the time from an alert's
 * 202 to its row reaching an open page over server-sent events, and the cost of a /metrics scrape.
 */
export async function benchDashboard(opts: { alerts?: number; scrapes?: number } = {}): Promise<BenchRow[]> {
  const alerts = opts.alerts ?? 30;
  const scrapes = opts.scrapes ?? 50;
  const dir = mkdtempSync(join(tmpdir(), "aegis-bench-dashboard-"));
  const db = openDatabase(join(dir, "aegis.db"));
  try {
    const buildStart = performance.now();
    await buildDashboard(join(dir, "assets"));
    const buildMs = performance.now() - buildStart;
    const js = readFileSync(join(dir, "assets", "app.js"));
    const css = readFileSync(join(dir, "assets", "app.css"));

    const app = createApp({
      config: loadConfig({ AEGIS_DASHBOARD_PUBLIC: "true" }),
      policy: defaultPolicy(),
      incidents: new SqliteIncidentRepository(db),
      onAccepted: () => undefined,
      logger: silentLogger(),
      dashboardAssets: join(dir, "assets"),
    });
    const server = await startServer(app, "127.0.0.1", 0);
    const seen = new Map<string, number>();
    const controller = new AbortController();
    const res = await fetch(`${server.url}/ui/api/events`, { signal: controller.signal });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let ready = () => {};
    const isReady = new Promise<void>((r) => (ready = r));
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: "", done: true }));
        if (done) return;
        buffer += value;
        if (buffer.includes(": ready\n")) ready();
        for (const m of buffer.matchAll(/data: (.*)\n/g)) {
          const row = JSON.parse(m[1]!) as { target: string };
          if (!seen.has(row.target)) seen.set(row.target, performance.now());
        }
        buffer = buffer.slice(buffer.lastIndexOf("\n\n") + 2);
      }
    })();
    await isReady;

    const latencies: number[] = [];
    for (let i = 0; i < alerts; i++) {
      const container = `bench-${i}`;
      const body = {
        version: "4",
        status: "firing",
        receiver: "aegis",
        groupKey: `{}:{container="${container}"}`,
        groupLabels: {},
        commonLabels: { alertname: "ContainerUnhealthy", container },
        commonAnnotations: {},
        externalURL: "http://alertmanager",
        alerts: [
          {
            status: "firing",
            labels: { alertname: "ContainerUnhealthy", container },
            annotations: {},
            startsAt: new Date().toISOString(),
            endsAt: "0001-01-01T00:00:00Z",
            generatorURL: "http://prometheus",
            fingerprint: `bench${i}`,
          },
        ],
      };
      const post = await fetch(`${server.url}/alerts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const accepted = performance.now();
      if (post.status !== 202) throw new Error(`POST /alerts answered ${post.status}`);
      const label = `container ${container}`;
      const deadline = accepted + 10_000;
      while (!seen.has(label) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      if (!seen.has(label)) throw new Error(`no live update for ${label} within 10 s`);
      latencies.push(seen.get(label)! - accepted);
    }
    controller.abort();
    await reading;

    const scrapeMs: number[] = [];
    for (let i = 0; i < scrapes; i++) {
      const start = performance.now();
      await (await fetch(`${server.url}/metrics`)).text();
      scrapeMs.push(performance.now() - start);
    }
    await server.close(1000);

    latencies.sort((a, b) => a - b);
    scrapeMs.sort((a, b) => a - b);
    const p95 = percentile(latencies, 95);
    const jsGzipKb = gzipSync(js).length / 1024;
    return [
      { name: "bundle JS (gzip)", value: jsGzipKb, unit: "KiB", goal: "<= 100", ok: jsGzipKb <= 100 },
      { name: "bundle JS (raw)", value: js.length / 1024, unit: "KiB", goal: "", ok: true },
      { name: "bundle CSS (raw)", value: css.length / 1024, unit: "KiB", goal: "", ok: true },
      { name: "build time", value: buildMs, unit: "ms", goal: "", ok: true },
      { name: "alert 202 → live row p50", value: percentile(latencies, 50), unit: "ms", goal: "", ok: true },
      { name: "alert 202 → live row p95", value: p95, unit: "ms", goal: "<= 1000", ok: p95 <= 1000 },
      { name: "/metrics scrape p50", value: percentile(scrapeMs, 50), unit: "ms", goal: "", ok: true },
      {
        name: "/metrics scrape p99",
        value: percentile(scrapeMs, 99),
        unit: "ms",
        goal: "<= 50",
        ok: percentile(scrapeMs, 99) <= 50,
      },
    ];
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
