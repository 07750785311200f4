import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultPolicy } from "../../agent/policy/loadPolicy.ts";
import { resolveTarget } from "../../agent/targeting/resolveTarget.ts";
import { createPredictiveWatcher } from "../../app/predictive.ts";
import type { Alert } from "../../core/alert.ts";
import { loadConfig } from "../../core/config.ts";
import { silentLogger } from "../../core/logger.ts";
import { predictiveSchema } from "../../detect/watcher/config.ts";
import type { Prediction } from "../../detect/watcher/prediction.ts";
import { PredictionRegistry } from "../../detect/watcher/registry.ts";
import type { RangeSeries, SeriesSource } from "../../detect/watcher/source.ts";
import { createApp } from "../../server/app.ts";
import { startServer } from "../../server/listen.ts";
import { createMetricsRegistry } from "../../server/metrics.ts";
import { openDatabase, type Db } from "../../store/db.ts";
import { SqliteIncidentRepository } from "../../store/incidentRepository.ts";
import { SqlitePredictionRepository } from "../../store/predictionRepository.ts";

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), "aegis-predictions-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** A database file of its own for each test (and each retry of it). */
const freshDb = (name: string) => join(mkdtempSync(join(dir, "t-")), name);

const pod = { namespace: "shop", pod: "checkout-7d9f-abcde", container: "checkout" };
// A leak of 15 MiB/min that started 8 minutes before the test, from 200 MiB, in a 512 MiB container.
const onset = Date.now() - 8 * 60_000;
const workingSet = (t: number) =>
  200 * MiB + Math.max(0, t - onset) * ((15 * MiB) / 60_000) + ((t / 15_000) % 3) * 0.3 * MiB;

/** query_range over functions of time (a stand-in for Prometheus' answers). */
const source: SeriesSource = {
  async queryRange(query, start, end, step) {
    const at = query === "container_memory_working_set_bytes" ? workingSet : () => 512 * MiB;
    const ts: number[] = [];
    for (let t = Math.ceil(start / (step * 1000)) * step * 1000; t <= end; t += step * 1000) ts.push(t);
    return [
      { labels: pod, t: Float64Array.from(ts), v: Float64Array.from(ts.map(at)) } satisfies RangeSeries,
    ];
  },
};

function policy() {
  const p = defaultPolicy();
  p.predictive = predictiveSchema.parse({
    forCycles: 1,
    series: [
      {
        name: "memory",
        kind: "exhaustion",
        query: "container_memory_working_set_bytes",
        limitQuery: "container_spec_memory_limit_bytes",
        unit: "bytes",
        family: "memory_leak",
      },
    ],
  });
  return p;
}

/** One AegisOps process' worth of the pieces: the store, the registry (restored) and the watcher. */
async function boot(db: Db, enqueued: string[]) {
  const incidents = new SqliteIncidentRepository(db);
  const predictions = new PredictionRegistry({ store: new SqlitePredictionRepository(db) });
  const restored = await predictions.restore();
  const watcher = createPredictiveWatcher({
    config: loadConfig({ PROMETHEUS_URL: "http://127.0.0.1:9" }),
    policy: policy(),
    predictions,
    incidents,
    runner: { enqueue: (ids) => void enqueued.push(...ids) },
    logger: silentLogger(),
    source,
  })!;
  return { incidents, predictions, watcher, restored };
}

describe("predictions stored with the incidents", () => {
  it("survive a restart: evidence, forecast chart and the series' cooldown; a later alert joins the incident", async () => {
    const enqueued: string[] = [];
    const file = freshDb("aegis.db");
    let db = openDatabase(file);
    const first = await boot(db, enqueued);
    expect((await first.watcher.cycle()).predictions).toBe(1);
    expect(enqueued).toHaveLength(1);
    const incidentId = enqueued[0]!;
    db.close();

    // Restart: a new process opens the same file.
    db = openDatabase(file);
    const second = await boot(db, enqueued);
    expect(second.restored).toEqual({ restored: 1, skipped: 0 });
    // The same leak is still under way: within its cooldown it is not raised again.
    expect((await second.watcher.cycle()).predictions).toBe(0);
    expect(enqueued).toHaveLength(1);

    const incident = (await second.incidents.get(incidentId))!;
    const signals = second.predictions.signalsFor(incident.alerts as unknown as Alert[]);
    expect(signals.find((s) => s.name === "memory_growth")?.value).toBeCloseTo((15 * MiB) / 60, -4);

    // The alert Prometheus fires later for the same pod joins the predictive incident.
    const labels = { alertname: "KubeContainerMemoryNearLimit", severity: "warning", ...pod };
    const alert: Alert = {
      status: "firing",
      labels,
      annotations: {},
      startsAt: new Date().toISOString(),
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "",
      fingerprint: "0123456789abcdef",
    };
    const [outcome] = await second.incidents.ingest(
      [{ alert, target: resolveTarget(labels, policy()) }],
      new Date().toISOString(),
    );
    expect(outcome).toMatchObject({ outcome: "joined", incidentId });

    // The forecast a chart draws, through the API.
    const app = createApp({
      config: loadConfig({ AEGIS_API_TOKEN: "t0ken-for-the-test" }),
      policy: policy(),
      incidents: second.incidents,
      onAccepted: () => undefined,
      logger: silentLogger(),
      metrics: createMetricsRegistry(),
      forecasts: (alerts) => second.predictions.forecastsFor(alerts),
    });
    const server = await startServer(app, "127.0.0.1", 0);
    try {
      const headers = { authorization: "Bearer t0ken-for-the-test" };
      const res = await fetch(`${server.url}/api/incidents/${incidentId}/forecast`, { headers });
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        incidentId: string;
        forecasts: Array<{
          kind: string;
          chart: {
            unit: string;
            observed: Array<[number, number]>;
            forecast: Array<[number, number]>;
            limit: number;
            crossing: { at: number; low: number; high: number };
          };
        }>;
      };
      expect(body.forecasts).toHaveLength(1); // the joined Prometheus alert has no forecast
      const chart = body.forecasts[0]!.chart;
      expect(body.forecasts[0]!.kind).toBe("exhaustion");
      expect(chart.unit).toBe("bytes");
      expect(chart.limit).toBe(512 * MiB);
      expect(chart.observed.length).toBeGreaterThan(30);
      expect(chart.forecast.at(-1)).toEqual([chart.crossing.at, 512 * MiB]);
      // The leak meets 512 MiB when 200 MiB + 15 MiB/min reaches it, less its small ripple: about 20.8 min
      // after the onset.
      const oomAt = onset + (312 / 15) * 60_000;
      expect(Math.abs(chart.crossing.at - oomAt)).toBeLessThan(0.1 * (oomAt - Date.now()));
      expect(chart.crossing.low).toBeLessThanOrEqual(chart.crossing.at);
      expect(chart.crossing.high).toBeGreaterThanOrEqual(chart.crossing.at);
      const missing = await fetch(`${server.url}/api/incidents/inc_nope/forecast`, { headers });
      expect(missing.status).toBe(404);
      expect((await fetch(`${server.url}/api/incidents/${incidentId}/forecast`)).status).toBe(401);
    } finally {
      await server.close();
      db.close();
    }
  });

  it("without the stored cooldown the same leak would be raised again (what the restart test guards)", async () => {
    const enqueued: string[] = [];
    const db = openDatabase(freshDb("fresh.db"));
    const { watcher } = await boot(db, enqueued);
    expect((await watcher.cycle()).predictions).toBe(1);
    db.close();
  });

  it("skips a stored row that is not a prediction, keeps the others, and stores no secret in clear", async () => {
    const file = freshDb("mixed.db");
    const db = openDatabase(file);
    const repo = new SqlitePredictionRepository(db);
    const registry = new PredictionRegistry({ store: repo });
    const secret = "postgres://app:Sup3rS3cretPw@db:5432/shop";
    const p: Prediction = {
      key: "memory|pod=x",
      kind: "exhaustion",
      series: "memory",
      labels: { namespace: "shop", pod: "x", dsn: secret },
      family: "memory_leak",
      message: "x's memory grows 4.1 MiB/min; its limit (512 MiB) is reached in 17 min (± 3)",
      leadTimeMs: 17 * 60_000,
      confidence: 0.8,
      contributions: { growth_per_min: 4.1 * MiB },
      at: Date.now(),
    };
    const alert = await registry.record(p);
    await repo.save("predictive-garbage", { kind: "nonsense" }, new Date().toISOString());
    db.prepare("INSERT INTO predictions VALUES ('predictive-torn', ?, '{not json')").run(
      new Date().toISOString(),
    );
    db.close();
    expect(readFileSync(file).includes("Sup3rS3cretPw")).toBe(false);

    const db2 = openDatabase(file);
    const again = new PredictionRegistry({ store: new SqlitePredictionRepository(db2) });
    expect(await again.restore()).toEqual({ restored: 1, skipped: 2 });
    expect(again.signalsFor([alert]).some((s) => s.name === "memory_growth")).toBe(true);
    db2.close();
  });

  it("keeps the newest predictions within its capacity", async () => {
    const db = openDatabase(freshDb("bounded.db"));
    const repo = new SqlitePredictionRepository(db);
    for (let i = 0; i < 30; i++)
      await repo.save(`f${i}`, { i }, new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString());
    expect(await repo.prune(10)).toBe(20);
    const { rows } = await repo.recent(100);
    expect(rows.map((r) => r.fingerprint)).toEqual(Array.from({ length: 10 }, (_, k) => `f${29 - k}`));
    db.close();
  });
});
