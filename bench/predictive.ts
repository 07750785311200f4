import { spawn, execFile } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { StreamingDetector } from "../detect/detector.ts";
import { loadCorpus } from "../detect/nab/corpus.ts";
import { scoreNab, splitHalves } from "../detect/nab/run.ts";
import { DEFAULT_DETECTOR_VERSION, listDetectorVersions, loadDetectorParams } from "../detect/versions.ts";
import { predictiveSchema } from "../detect/watcher/config.ts";
import { prometheusSource } from "../detect/watcher/source.ts";
import { PredictiveWatcher } from "../detect/watcher/watcher.ts";
import { percentile, type BenchRow } from "./report.ts";

const NAB_DIR = new URL("../evals/nab/", import.meta.url);

/** Detector throughput on one core, and the NAB development slice's scores (fixed and swept threshold). */
export async function benchDetect(): Promise<BenchRow[]> {
  const params = loadDetectorParams();
  const files = await loadCorpus(
    new URL("data", NAB_DIR).pathname,
    new URL("combined_windows.json", NAB_DIR).pathname,
  );
  // Throughput: the whole corpus, several passes, fresh detectors each pass (the state per series is tiny).
  const t = files.map((f) => Float64Array.from(f.points.map((p) => p.t)));
  const v = files.map((f) => Float64Array.from(f.points.map((p) => p.value)));
  let points = 0;
  let sink = 0;
  const started = performance.now();
  while (performance.now() - started < 3000) {
    for (let k = 0; k < files.length; k++) {
      const d = new StreamingDetector(params);
      const tk = t[k]!;
      const vk = v[k]!;
      for (let i = 0; i < tk.length; i++) sink += d.update(tk[i]!, vk[i]!);
      points += tk.length;
    }
  }
  const perSecond = points / ((performance.now() - started) / 1000);
  if (Number.isNaN(sink)) throw new Error("detector produced NaN");
  const report = scoreNab(files, params);
  const rows: BenchRow[] = [
    {
      name: "detector throughput (one core)",
      value: Math.round(perSecond),
      unit: "points/s",
      goal: ">= 1000000",
      ok: perSecond >= 1e6,
    },
  ];
  for (const r of report.fixed) {
    rows.push({
      name: `NAB slice ${r.profile}, fixed θ=${r.threshold}`,
      value: Number(r.score.toFixed(1)),
      unit: "score",
      goal: r.profile === "standard" ? ">= 75" : "",
      ok: r.profile === "standard" ? r.score >= 75 : true,
    });
  }
  for (const r of report.swept) {
    rows.push({
      name: `NAB slice ${r.profile}, swept θ=${r.threshold}`,
      value: Number(r.score.toFixed(1)),
      unit: "score",
      goal: "",
      ok: true,
    });
  }
  // Held-out check: each version's standard score (fixed θ) on each half of the slice, and v3 and later on
  // the whole slice beside the default.
  const halves = splitHalves(files);
  for (const version of listDetectorVersions().filter((v) => v !== "v1")) {
    const vp = loadDetectorParams(version);
    if (version !== DEFAULT_DETECTOR_VERSION) {
      const whole = scoreNab(files, vp);
      rows.push({
        name: `NAB slice standard, detector ${version} (not default), fixed θ=${vp.threshold} / swept θ=${whole.swept[0]!.threshold}`,
        value: Number(whole.fixed[0]!.score.toFixed(1)),
        unit: `score (swept ${whole.swept[0]!.score.toFixed(1)})`,
        goal: "",
        ok: true,
      });
    }
    halves.forEach((half, h) => {
      const r = scoreNab(half, vp).fixed[0]!;
      rows.push({
        name: `NAB slice standard, detector ${version}, ${h === 0 ? "even" : "odd"} half (${half.length} files), fixed θ`,
        value: Number(r.score.toFixed(1)),
        unit: "score",
        goal: "",
        ok: true,
      });
    });
  }
  return rows;
}

export interface WatcherBenchOptions {
  /** Series per kind (memory exhaustion, latency anomaly); 5000 each by default: 10,000 in all. */
  perKind?: number;
  cycles?: number;
}

/**
 * The watcher's real path at scale: a real Prometheus holding 10,000 series at 15 s resolution (backfilled
 * with promtool), polled with query_range every simulated 15 s; each cycle fetches, parses, runs the
 * exhaustion forecast on 5,000 memory series and the streaming detector on 5,000 latency series.
 */
export async function benchWatcher(opts: WatcherBenchOptions = {}): Promise<BenchRow[]> {
  const perKind = opts.perKind ?? 5000;
  const cycles = opts.cycles ?? 40;
  const dir = mkdtempSync(join(tmpdir(), "aegis-bench-watch-"));
  const stepS = 15;
  const now = Math.floor(Date.now() / 1000 / stepS) * stepS;
  const start = now - 3600;
  try {
    await writeOpenMetrics(join(dir, "data.om"), perKind, start, now, stepS);
    await promisify(execFile)(
      "promtool",
      ["tsdb", "create-blocks-from", "openmetrics", join(dir, "data.om"), join(dir, "tsdb")],
      {
        timeout: 300_000,
      },
    );
    rmSync(join(dir, "data.om"));
    const prom = await startPrometheus(dir);
    try {
      let raised = 0;
      const clock = { now: (now - 30 * 60) * 1000 };
      const watcher = new PredictiveWatcher({
        config: predictiveSchema.parse({
          intervalSeconds: stepS,
          stepSeconds: stepS,
          lookbackMinutes: 30,
          series: [
            { name: "memory", kind: "exhaustion", query: "bench_memory_bytes", limit: 512e6, unit: "bytes" },
            { name: "latency", kind: "anomaly", query: "bench_latency_seconds", unit: "seconds" },
          ],
        }),
        source: prometheusSource({ prometheusUrl: prom.url, timeoutMs: 60_000 }),
        detectorParams: loadDetectorParams(),
        now: () => clock.now,
        raise: async () => {
          raised++;
        },
      });
      const first = await watcher.cycle();
      const times: number[] = [];
      let points = 0;
      for (let i = 0; i < cycles; i++) {
        clock.now += stepS * 1000;
        const r = await watcher.cycle();
        if (r.errors > 0) throw new Error(`watch cycle had ${r.errors} failed queries`);
        times.push(r.ms);
        points += r.points;
      }
      times.sort((a, b) => a - b);
      const p95 = percentile(times, 95);
      return [
        {
          name: "watcher series",
          value: first.series,
          unit: "series",
          goal: ">= 10000",
          ok: first.series >= 2 * perKind,
        },
        {
          name: "first cycle (30 min of history)",
          value: Math.round(first.ms),
          unit: "ms",
          goal: "",
          ok: true,
        },
        {
          name: "steady cycle p50",
          value: Math.round(percentile(times, 50)),
          unit: "ms",
          goal: "",
          ok: true,
        },
        {
          name: "steady cycle p95",
          value: Math.round(p95),
          unit: "ms",
          goal: "< 15000 (the interval)",
          ok: p95 < stepS * 1000,
        },
        {
          name: "new points per cycle",
          value: Math.round(points / cycles),
          unit: "points",
          goal: "",
          ok: true,
        },
        { name: "predictions raised", value: raised, unit: "", goal: "", ok: true },
      ];
    } finally {
      await prom.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 1 hour of data: steady memory (1 % of pods leaking 2 MB/min) and noisy latency (1 % with a step). */
async function writeOpenMetrics(
  path: string,
  perKind: number,
  start: number,
  end: number,
  step: number,
): Promise<void> {
  const out = createWriteStream(path);
  const write = (s: string) =>
    out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once("drain", () => r()));
  let seed = 7;
  const rnd = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  await write("# TYPE bench_memory_bytes gauge\n");
  for (let s = 0; s < perKind; s++) {
    const leaking = s % 100 === 0;
    const lines: string[] = [];
    for (let t = start; t < end; t += step) {
      const v = 200e6 + s * 1000 + rnd() * 2e6 + (leaking ? ((t - start) / 60) * 4e6 : 0);
      lines.push(`bench_memory_bytes{namespace="bench",pod="pod-${s}"} ${Math.round(v)} ${t}\n`);
    }
    await write(lines.join(""));
  }
  await write("# TYPE bench_latency_seconds gauge\n");
  for (let s = 0; s < perKind; s++) {
    const stepAt = s % 100 === 0 ? start + 2400 : Infinity;
    const lines: string[] = [];
    for (let t = start; t < end; t += step) {
      const v = 0.2 + rnd() * 0.02 + (t >= stepAt ? 0.3 : 0);
      lines.push(`bench_latency_seconds{namespace="bench",pod="pod-${s}"} ${v.toFixed(4)} ${t}\n`);
    }
    await write(lines.join(""));
  }
  await write("# EOF\n");
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
}

async function startPrometheus(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      srv.close(() => (typeof a === "object" && a ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
  writeFileSync(join(dir, "prometheus.yml"), "global:\n  scrape_interval: 15s\nscrape_configs: []\n");
  const child = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--storage.tsdb.retention.time=2d",
    ],
    { stdio: "ignore" },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/-/ready`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error("Prometheus did not become ready within 60 s");
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, stop };
}
