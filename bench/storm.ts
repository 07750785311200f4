import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { TERMINAL_STATUSES } from "../core/types.ts";
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
}

const BIN = fileURLToPath(new URL("../bin/aegis.js", import.meta.url));
const TOKEN = "bench-storm-token";

/**
 * An alert storm against `aegis serve` as users run it: its own process, the agent on (default workers, auto
 * mode, the Docker platform), a real SQLite file. The alerts name containers that do not exist, so each
 * incident is investigated and escalated by the agent while the storm is still arriving. Reports what the
 * webhook sustains while the agent works, and how fast the agent settles the incidents. With the default 400
 * targets most alerts join (or are held by) an incident already open or escalated; with as many targets as
 * alerts (`storm-distinct`) every alert opens an incident and the agent works through the whole storm.
 */
export async function benchStorm(opts: StormBenchOptions = {}): Promise<BenchRow[]> {
  const plan = {
    total: opts.notifications ?? 4000,
    warmup: opts.warmup ?? 500,
    concurrency: opts.concurrency ?? 8,
    targets: opts.targets ?? 400,
  };
  const dir = mkdtempSync(join(tmpdir(), "aegis-bench-storm-"));
  const dbPath = join(dir, "aegis.db");
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, "serve"], {
    env: {
      ...process.env,
      AEGIS_HOST: "127.0.0.1",
      AEGIS_PORT: String(port),
      AEGIS_DB: dbPath,
      AEGIS_MODE: "auto",
      AEGIS_WEBHOOK_TOKEN: TOKEN,
      AEGIS_API_TOKEN: TOKEN,
      AEGIS_LOG_LEVEL: "error",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await until(
      () =>
        fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      30_000,
      "aegis serve to answer /healthz",
    );
    const started = performance.now();
    const result = await runLoad({ ...plan, url: `http://127.0.0.1:${port}`, token: TOKEN });
    const failed = Object.values(result.failures).reduce((x, y) => x + y, 0);
    if (failed > 0)
      throw new Error(`storm bench: ${failed} notifications failed: ${JSON.stringify(result.failures)}`);

    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      const terminal = TERMINAL_STATUSES.map(() => "?").join(",");
      const counts = db.prepare(
        `SELECT count(*) AS total, sum(CASE WHEN status IN (${terminal}) THEN 1 ELSE 0 END) AS settled FROM incidents`,
      );
      const read = () => counts.get(...TERMINAL_STATUSES) as { total: number; settled: number };
      await until(
        () => {
          const c = read();
          return c.total > 0 && c.settled === c.total;
        },
        opts.settleTimeoutMs ?? 180_000,
        "the agent to settle every incident",
      );
      const settledAfterMs = performance.now() - started;
      const { total } = read();
      const stored = (db.prepare("SELECT count(*) AS n FROM alerts").get() as { n: number }).n;
      const sent = plan.total + plan.warmup;
      return [
        ...deliveryRows(result, plan.total, { minRate: 2000, maxP99: 25, label: ", agent working" }),
        { name: "alerts stored", value: stored, unit: "alerts", goal: `= ${sent}`, ok: stored === sent },
        infoRow("incidents settled by the agent", total, "incidents"),
        infoRow(
          "incidents settled per second (storm start → last settled)",
          total / (settledAfterMs / 1000),
          "incidents/s",
        ),
      ];
    } finally {
      db.close();
    }
  } finally {
    child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
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
