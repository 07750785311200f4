import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fork } from "node:child_process";
import { defaultPolicy } from "../agent/policy/loadPolicy.ts";
import { loadConfig } from "../core/config.ts";
import { silentLogger } from "../core/logger.ts";
import { createApp } from "../server/app.ts";
import { startServer } from "../server/listen.ts";
import { openDatabase } from "../store/db.ts";
import { openStore } from "../store/openStore.ts";
import { type IncidentRepository, type IncomingAlert } from "../store/incidentRepository.ts";
import { PgIncidentRepository } from "../store/postgres/incidentRepository.ts";
import { openPostgres } from "../store/postgres/pool.ts";
import { benchByStore } from "./byStore.ts";
import type { LoadPlan, LoadResult } from "./ingestLoad.ts";
import { infoRow, percentile, type BenchRow } from "./report.ts";

export interface IngestBenchOptions {
  /** Measured notifications (one alert each). */
  notifications?: number;
  /** Requests sent before measuring: a long-running server is JIT-warm, so the figures are taken warm. */
  warmup?: number;
  /** Concurrent senders, each with one keep-alive connection. */
  concurrency?: number;
  /** Distinct containers the alerts point at (each becomes one incident the others join). */
  targets?: number;
  /** Goals: throughput floor and p99 ceiling. */
  minAlertsPerSecond?: number;
  maxP99Ms?: number;
  /** Also run it on a throwaway local PostgreSQL (default: when its server binaries are installed). */
  postgres?: boolean;
}

/**
 * The webhook on SQLite, and beside it on PostgreSQL (a throwaway local cluster, as the tests start one):
 * the same load, the same goals, rows labelled by store.
 */
export async function benchIngestStores(opts: IngestBenchOptions = {}): Promise<BenchRow[]> {
  return benchByStore(
    "ingest",
    opts.postgres,
    () => benchIngest(opts),
    async (url) => {
      const pool = await openPostgres(url);
      try {
        return await benchIngest(opts, {
          repository: new PgIncidentRepository(pool),
          storedAlerts: async () =>
            (await pool.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM alerts")).rows[0]!.n,
        });
      } finally {
        await pool.end();
      }
    },
  );
}

const TOKEN = "bench-webhook-token";

/**
 * Drive the real app (real SQLite file, synchronous=FULL, bearer token on) with concurrent Alertmanager-shaped
 * notifications over keep-alive HTTP, and report alerts/s and reply latency percentiles.
 */
export async function benchIngest(
  opts: IngestBenchOptions = {},
  store?: { repository: IncidentRepository; storedAlerts: () => Promise<number> },
): Promise<BenchRow[]> {
  const plan = {
    total: opts.notifications ?? 4000,
    warmup: opts.warmup ?? 2000,
    concurrency: opts.concurrency ?? 8,
    targets: opts.targets ?? 50,
  };
  const minRate = opts.minAlertsPerSecond ?? 2000;
  const maxP99 = opts.maxP99Ms ?? 25;

  const dir = mkdtempSync(join(tmpdir(), "aegis-bench-ingest-"));
  // The same disk's bare commit cost, so figures from a busy or slow machine can be read in context.
  const commitMs = bareCommitMs(join(dir, "baseline.db"));
  const db = openDatabase(join(dir, "aegis.db"));
  // SQLite: the webhook's own connection, as `aegis serve` opens it (durable commits, flushed off the loop).
  const sqlite = store ? undefined : await openStore({ dbPath: join(dir, "aegis.db") });
  const incidents = countingCommits(store?.repository ?? sqlite!.ingest);
  let handedOver = 0;
  const app = createApp({
    config: loadConfig({ AEGIS_WEBHOOK_TOKEN: TOKEN }),
    policy: defaultPolicy(),
    incidents,
    onAccepted: (ids) => {
      handedOver += ids.length;
    },
    logger: silentLogger(),
  });
  const server = await startServer(app, "127.0.0.1", 0);
  try {
    const cpuBefore = process.cpuUsage();
    const eluBefore = performance.eventLoopUtilization();
    const result = await runLoad({ ...plan, url: server.url, token: TOKEN });
    const cpu = process.cpuUsage(cpuBefore);
    const elu = performance.eventLoopUtilization(eluBefore);
    const failed = Object.values(result.failures).reduce((x, y) => x + y, 0);
    if (failed > 0) {
      throw new Error(`ingest bench: ${failed} notifications failed: ${JSON.stringify(result.failures)}`);
    }
    const sent = plan.total + plan.warmup;
    const stored = store
      ? await store.storedAlerts()
      : (db.prepare("SELECT count(*) AS n FROM alerts").get() as { n: number }).n;
    if (stored !== sent) throw new Error(`ingest bench: ${stored} alerts stored, expected ${sent}`);
    return [
      ...deliveryRows(result, plan.total, { minRate, maxP99 }),
      // What the figures above are made of (warm-up included): where to look when a goal is missed.
      infoRow("server CPU per alert", (cpu.user + cpu.system) / 1000 / sent, "ms"),
      infoRow("server event loop busy", elu.utilization * 100, "%"),
      infoRow("load generator CPU per alert", result.cpuMs / plan.total, "ms"),
      infoRow("alerts per commit (group commit)", incidents.alerts / incidents.commits, "alerts"),
      ...(store ? [] : [infoRow("bare SQLite commit on this disk", commitMs, "ms")]),
      {
        name: "incident ids handed to the agent",
        value: handedOver,
        unit: "ids",
        goal: "",
        ok: handedOver === sent,
      },
    ];
  } finally {
    await server.close(1000);
    await sqlite?.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Alerts/s and reply latency percentiles of a load run, held to their goals. */
export function deliveryRows(
  result: LoadResult,
  measured: number,
  goals: { minRate: number; maxP99: number; label?: string },
): BenchRow[] {
  const sorted = Float64Array.from(result.latencies).sort();
  const rate = measured / (result.elapsedMs / 1000);
  const p99 = percentile(sorted, 99);
  const latency = (p: string, value: number, goal = "", ok = true): BenchRow => ({
    name: `reply latency ${p}`,
    value,
    unit: "ms",
    goal,
    ok,
  });
  return [
    {
      name: `alerts per second${goals.label ?? ""}`,
      value: rate,
      unit: "alerts/s",
      goal: `>= ${goals.minRate}`,
      ok: rate >= goals.minRate,
    },
    latency("p50", percentile(sorted, 50)),
    latency("p99", p99, `< ${goals.maxP99}`, p99 < goals.maxP99),
    latency("max", sorted[sorted.length - 1] ?? NaN),
  ];
}

/** The store's repository, counting transactions to show how many notifications share a commit. */
function countingCommits(
  inner: IncidentRepository,
): IncidentRepository & { commits: number; alerts: number } {
  // Everything but ingest is the store's own (inherited through the prototype, so `this` keeps its state).
  const repo = Object.create(inner) as IncidentRepository & { commits: number; alerts: number };
  repo.commits = 0;
  repo.alerts = 0;
  repo.ingest = (alerts: IncomingAlert[], receivedAt: string) => {
    repo.commits++;
    repo.alerts += alerts.length;
    return inner.ingest(alerts, receivedAt);
  };
  return repo;
}

/** Mean time of a one-row commit (WAL, synchronous=FULL, as store/db.ts opens it) on the bench's disk. */
function bareCommitMs(path: string): number {
  const db = openDatabase(path);
  try {
    db.exec("CREATE TABLE probe (id INTEGER PRIMARY KEY, v TEXT)");
    const insert = db.prepare("INSERT INTO probe (v) VALUES (?)");
    const n = 300;
    const start = performance.now();
    for (let i = 0; i < n; i++) insert.run("x".repeat(500));
    return (performance.now() - start) / n;
  } finally {
    db.close();
  }
}

export function runLoad(plan: LoadPlan): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    // A separate process, as Alertmanager is: the senders get their own core and never stall on the server's
    // synchronous SQLite commits. tsx is registered explicitly whether we run under the tsx CLI or --import.
    const child = fork(new URL("./ingestLoad.ts", import.meta.url), [], {
      execArgv: ["--import", import.meta.resolve("tsx")],
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child.once("message", (msg: { ok: true; result: LoadResult } | { ok: false; error: string }) => {
      if (msg.ok) resolve(msg.result);
      else reject(new Error(`ingest bench load generator: ${msg.error}`));
      child.disconnect();
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`ingest bench load generator exited with ${code}`));
    });
    child.send(plan);
  });
}
