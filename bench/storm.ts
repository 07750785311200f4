import { spawn } from "node:child_process";
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { TERMINAL_STATUSES } from "../core/types.ts";
import pg from "pg";
import { benchByStore } from "./byStore.ts";
import { deliveryRows, runLoad } from "./ingest.ts";
import { infoRow, type BenchRow } from "./report.ts";
import { freeLoopbackPort as freePort } from "../core/ports.ts";

export interface StormBenchOptions {
  /** Measured notifications (one alert each), as Alertmanager sends them. */
  notifications?: number;
  warmup?: number;
  /** Concurrent senders. */
  concurrency?: number;
  /** Distinct containers named by the alerts: each becomes an incident the agent works. */
  targets?: number;
  /** How long to wait for the agent to settle every incident after the storm. */
  settleTimeoutMs?: number;
  /** `separate` (the default of `aegis serve`): the agent in its own process; `inline`: one event loop. */
  agentProcess?: "separate" | "inline";
  /** SQLite: AEGIS_DB_SYNCHRONOUS for the served process (default `full`, as `aegis serve` has it). */
  dbSynchronous?: "full" | "normal";
  /** Also run it on a throwaway local PostgreSQL (default: when its server binaries are installed). */
  postgres?: boolean;
}

const BIN = fileURLToPath(new URL("../bin/aegis.js", import.meta.url));
const TOKEN = "bench-storm-token";

/** Where the served process keeps its incidents, and how the bench counts them there. */
interface StormStore {
  env: Record<string, string>;
  counts(): Promise<{ total: number; settled: number; stored: number }>;
  close(): Promise<void>;
}

/** The storm on SQLite, and beside it on PostgreSQL (a throwaway local cluster): rows labelled by store. */
export async function benchStormStores(opts: StormBenchOptions = {}): Promise<BenchRow[]> {
  return benchByStore(
    "storm",
    opts.postgres,
    () => benchStorm(opts, sqliteStore),
    (url) => benchStorm(opts, () => postgresStore(url)),
  );
}

/**
 * An alert storm against `aegis serve` as users run it: its own process, the agent on (default workers, auto
 * mode, the Docker platform), a real store. The alerts name containers that do not exist, so each
 * incident is investigated and escalated by the agent while the storm is still arriving. Reports what the
 * webhook sustains while the agent works, the event-loop delay of the process that serves the webhook, and how
 * fast the agent settles the incidents. With the default 400 targets most alerts join (or are held by) an
 * incident already open or escalated; with as many targets as alerts (`storm-distinct`) every alert opens an
 * incident and the agent works through the whole storm.
 */
export async function benchStorm(
  opts: StormBenchOptions = {},
  openStore: (dir: string) => Promise<StormStore> = sqliteStore,
): Promise<BenchRow[]> {
  const plan = {
    total: opts.notifications ?? 4000,
    warmup: opts.warmup ?? 500,
    concurrency: opts.concurrency ?? 8,
    targets: opts.targets ?? 400,
  };
  const agentProcess = opts.agentProcess ?? "separate";
  const dir = mkdtempSync(join(tmpdir(), "aegis-bench-storm-"));
  // What one durable commit costs at least on this disk now: with 8 senders each waiting for its own, the rate
  // cannot pass 8 per flush time.
  const flushMs = diskFlushMs(join(dir, "flush-probe"));
  const store = await openStore(dir);
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, "serve"], {
    env: {
      ...process.env,
      AEGIS_HOST: "127.0.0.1",
      AEGIS_PORT: String(port),
      AEGIS_DB: join(dir, "aegis.db"),
      AEGIS_MODE: "auto",
      AEGIS_WEBHOOK_TOKEN: TOKEN,
      AEGIS_API_TOKEN: TOKEN,
      AEGIS_LOG_LEVEL: "error",
      AEGIS_AGENT_PROCESS: agentProcess,
      AEGIS_DB_SYNCHRONOUS: opts.dbSynchronous ?? "full",
      ...store.env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  try {
    await until(
      () =>
        fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      60_000,
      "aegis serve to answer /healthz",
    );
    // The event-loop delay is sampled from here on: the figure covers the storm, not the start-up.
    await scrapeLag(base, agentProcess);
    const started = performance.now();
    const result = await runLoad({ ...plan, url: base, token: TOKEN });
    const failed = Object.values(result.failures).reduce((x, y) => x + y, 0);
    if (failed > 0)
      throw new Error(`storm bench: ${failed} notifications failed: ${JSON.stringify(result.failures)}`);
    const lag = await scrapeLag(base, agentProcess);

    // A slow agent is a figure, not an error: after the timeout the rows say how many it settled by then.
    await until(
      async () => {
        const c = await store.counts();
        return c.total > 0 && c.settled === c.total;
      },
      opts.settleTimeoutMs ?? 600_000,
      "the agent to settle every incident",
    ).catch((err: unknown) => console.error(String(err)));
    const settledAfterMs = performance.now() - started;
    const { total, settled, stored } = await store.counts();
    const sent = plan.total + plan.warmup;
    return [
      ...deliveryRows(result, plan.total, { minRate: 2000, maxP99: 25, label: ", agent working" }),
      infoRow("disk flush (fdatasync of 4 KiB) p50 before the storm", flushMs.p50, "ms"),
      infoRow("disk flush p99 before the storm", flushMs.p99, "ms"),
      infoRow("event-loop delay p99 of the webhook's process", lag.p99 * 1000, "ms"),
      infoRow("event-loop delay max of the webhook's process", lag.max * 1000, "ms"),
      { name: "alerts stored", value: stored, unit: "alerts", goal: `= ${sent}`, ok: stored === sent },
      {
        name: "incidents settled by the agent",
        value: settled,
        unit: "incidents",
        goal: `= ${total}`,
        ok: settled === total,
      },
      infoRow(
        "incidents settled per second (storm start → last settled)",
        settled / (settledAfterMs / 1000),
        "incidents/s",
      ),
    ];
  } finally {
    child.kill("SIGTERM");
    await exited;
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const TERMINAL = TERMINAL_STATUSES.map((s) => `'${s}'`).join(",");
const COUNTS = `SELECT count(*) AS total, sum(CASE WHEN status IN (${TERMINAL}) THEN 1 ELSE 0 END) AS settled,
  (SELECT count(*) FROM alerts) AS stored FROM incidents`;

async function sqliteStore(dir: string): Promise<StormStore> {
  let db: Database.Database | undefined;
  return {
    env: {},
    async counts() {
      // The file appears once `aegis serve` has started.
      db ??= new Database(join(dir, "aegis.db"), { readonly: true, fileMustExist: true });
      const row = db.prepare(COUNTS).get() as { total: number; settled: number | null; stored: number };
      return { total: row.total, settled: row.settled ?? 0, stored: row.stored };
    },
    async close() {
      db?.close();
    },
  };
}

async function postgresStore(url: string): Promise<StormStore> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  return {
    env: { AEGIS_DATABASE_URL: url },
    async counts() {
      const { rows } = await pool.query<{ total: string; settled: string | null; stored: string }>(COUNTS);
      const row = rows[0]!;
      return { total: Number(row.total), settled: Number(row.settled ?? 0), stored: Number(row.stored) };
    },
    close: () => pool.end(),
  };
}

/**
 * The event-loop delay (seconds) of the process that serves the webhook since the last scrape, from its
 * `/metrics` (prom-client resets the sampler at each scrape): the front's when the agent has its own process.
 */
async function scrapeLag(
  base: string,
  agentProcess: "separate" | "inline",
): Promise<{ p99: number; max: number }> {
  const text = await (
    await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
  ).text();
  const prefix = agentProcess === "separate" ? "aegis_front_" : "";
  const read = (name: string) => {
    const line = text.split("\n").find((l) => l.startsWith(`${prefix}${name} `));
    return line ? Number(line.split(" ")[1]) : NaN;
  };
  return { p99: read("nodejs_eventloop_lag_p99_seconds"), max: read("nodejs_eventloop_lag_max_seconds") };
}

async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`storm bench: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** p50 and p99 (ms) of 100 fdatasyncs, each after a 4 KiB write, in `path` (removed after). */
function diskFlushMs(path: string): { p50: number; p99: number } {
  const fd = openSync(path, "w");
  const page = Buffer.alloc(4096, 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < 100; i++) {
      writeSync(fd, page, 0, page.length, (i % 16) * page.length);
      const t0 = performance.now();
      fdatasyncSync(fd);
      times.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
  times.sort((a, b) => a - b);
  return { p50: times[50]!, p99: times[98]! };
}
