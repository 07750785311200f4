import { describe, expect, it } from "vitest";
import { loadDetectorParams } from "../../detect/versions.ts";
import { predictiveSchema } from "../../detect/watcher/config.ts";
import type { Prediction } from "../../detect/watcher/prediction.ts";
import { PredictionRegistry } from "../../detect/watcher/registry.ts";
import type { RangeSeries, SeriesSource } from "../../detect/watcher/source.ts";
import { PredictiveWatcher } from "../../detect/watcher/watcher.ts";

const MiB = 1024 * 1024;
const T0 = Date.UTC(2026, 0, 5, 10);

/** A query_range source computed from functions of time, one per series (a stand-in for Prometheus' data). */
function source(
  byQuery: Record<string, Array<{ labels: Record<string, string>; at: (t: number) => number }>>,
): SeriesSource & { queries: string[] } {
  const queries: string[] = [];
  return {
    queries,
    async queryRange(query, start, end, step) {
      queries.push(query);
      const rows = byQuery[query];
      if (rows === undefined) throw new Error(`unknown query ${query}`);
      return rows.map((r): RangeSeries => {
        const ts: number[] = [];
        for (let t = Math.ceil(start / (step * 1000)) * step * 1000; t <= end; t += step * 1000) ts.push(t);
        return { labels: r.labels, t: Float64Array.from(ts), v: Float64Array.from(ts.map(r.at)) };
      });
    },
  };
}

function watcher(src: SeriesSource, series: unknown[], clock: { now: number }, raised: Prediction[]) {
  return new PredictiveWatcher({
    config: predictiveSchema.parse({ series, intervalSeconds: 15, stepSeconds: 15, lookbackMinutes: 30 }),
    source: src,
    detectorParams: loadDetectorParams(),
    now: () => clock.now,
    raise: async (p) => {
      raised.push(p);
    },
  });
}

/** Run polls every 15 s from `from` to `to` (ms). */
async function poll(w: PredictiveWatcher, clock: { now: number }, from: number, to: number): Promise<void> {
  for (clock.now = from; clock.now <= to; clock.now += 15_000) await w.cycle();
}

describe("PredictiveWatcher", () => {
  const checkout = { namespace: "shop", pod: "checkout-7d9f-abcde", container: "checkout" };
  // Steady at 200 MiB until 10:20, then a leak of 8 MiB/min; the limit is 512 MiB.
  const leak = (t: number) =>
    200 * MiB + Math.max(0, t - (T0 + 20 * 60_000)) * ((8 * MiB) / 60_000) + ((t / 15_000) % 3) * 0.5 * MiB;

  it("raises one memory-exhaustion prediction with lead time, band and confidence, well before the limit", async () => {
    const src = source({
      container_memory_working_set_bytes: [{ labels: checkout, at: leak }],
      container_spec_memory_limit_bytes: [
        { labels: { ...checkout, id: "/kubepods/x" }, at: () => 512 * MiB },
      ],
    });
    const raised: Prediction[] = [];
    const clock = { now: T0 };
    const w = watcher(
      src,
      [
        {
          name: "memory",
          kind: "exhaustion",
          query: "container_memory_working_set_bytes",
          limitQuery: "container_spec_memory_limit_bytes",
          unit: "bytes",
          family: "memory_leak",
        },
      ],
      clock,
      raised,
    );
    await poll(w, clock, T0, T0 + 60 * 60_000);
    expect(raised).toHaveLength(1);
    const p = raised[0]!;
    const oomAt = T0 + 20 * 60_000 + (312 / 8) * 60_000;
    expect(p.at).toBeLessThan(oomAt - 20 * 60_000); // raised with more than 20 minutes to spare
    expect(p.message).toMatch(
      /^checkout's memory grows 8\.\d MiB\/min; its limit \(512 MiB\) is reached in \d+ min \(± [\d.]+\)$/,
    );
    expect(p.leadTimeMs! / 60_000).toBeGreaterThan(15);
    expect(Math.abs(p.at + p.leadTimeMs! - oomAt)).toBeLessThan(0.15 * (oomAt - p.at));
    expect(p.confidence).toBeGreaterThan(0.5);
    expect(p.labels).toMatchObject(checkout);
    expect(p.contributions.growth_per_min! / MiB).toBeCloseTo(8, 0);
  });

  it("stays quiet on a steady working set", async () => {
    const src = source({
      m: [{ labels: checkout, at: (t) => 300 * MiB + ((t / 15_000) % 7) * MiB }],
    });
    const raised: Prediction[] = [];
    const clock = { now: T0 };
    const w = watcher(
      src,
      [{ name: "memory", kind: "exhaustion", query: "m", limit: 512 * MiB }],
      clock,
      raised,
    );
    await poll(w, clock, T0, T0 + 60 * 60_000);
    expect(raised).toHaveLength(0);
  });

  it("raises an anomaly once, with the views that drove it", async () => {
    const latency = (t: number) => 0.2 + 0.01 * Math.sin(t / 40_000) + (t >= T0 + 50 * 60_000 ? 0.5 : 0);
    const src = source({ lat: [{ labels: { service: "checkout" }, at: latency }] });
    const raised: Prediction[] = [];
    const clock = { now: T0 };
    const w = watcher(
      src,
      [{ name: "latency", kind: "anomaly", query: "lat", unit: "seconds" }],
      clock,
      raised,
    );
    await poll(w, clock, T0, T0 + 70 * 60_000);
    expect(raised).toHaveLength(1);
    expect(raised[0]!.at).toBeGreaterThanOrEqual(T0 + 50 * 60_000);
    expect(raised[0]!.at).toBeLessThanOrEqual(T0 + 51 * 60_000);
    expect(raised[0]!.message).toMatch(/^checkout's latency is (69\d|7\d\d) ms: /);
    expect(Math.max(...Object.values(raised[0]!.contributions))).toBeGreaterThan(1);
  });

  it("names the one replica out of line with its siblings", async () => {
    const pods = ["a", "b", "c", "d"].map((p) => ({
      labels: { namespace: "shop", deployment: "checkout", pod: `checkout-${p}` },
      at: (t: number) =>
        (p === "c" && t >= T0 + 10 * 60_000 ? 0.9 : 0.2) + 0.01 * Math.sin(t / 30_000 + p.charCodeAt(0)),
    }));
    const src = source({ p95: pods });
    const raised: Prediction[] = [];
    const clock = { now: T0 };
    const w = watcher(
      src,
      [{ name: "latency", kind: "peer", query: "p95", unit: "seconds", groupBy: ["deployment"] }],
      clock,
      raised,
    );
    await poll(w, clock, T0, T0 + 20 * 60_000);
    expect(raised.map((p) => p.labels.pod)).toEqual(["checkout-c"]);
    expect(raised[0]!.message).toMatch(/^checkout-c's latency is 9\d\d ms against 2\d\d ms for its siblings/);
  });

  it("keeps watching the other series when one query fails", async () => {
    const src = source({ m: [{ labels: checkout, at: () => 1 }] });
    const raised: Prediction[] = [];
    const clock = { now: T0 };
    const w = watcher(
      src,
      [
        { name: "broken", kind: "anomaly", query: "nope" },
        { name: "memory", kind: "anomaly", query: "m" },
      ],
      clock,
      raised,
    );
    const r = await w.cycle();
    expect(r.errors).toBe(1);
    expect(r.series).toBe(1);
    expect(w.tracked).toBe(1);
  });
});

describe("PredictionRegistry", () => {
  const prediction: Prediction = {
    key: "memory|pod=x",
    kind: "exhaustion",
    series: "memory",
    labels: { namespace: "shop", pod: "x", __name__: "container_memory_working_set_bytes" },
    family: "memory_leak",
    message: "x's memory grows 4.1 MiB/min; its limit (512 MiB) is reached in 17 min (± 3)",
    leadTimeMs: 17 * 60_000,
    confidence: 0.8,
    contributions: { growth_per_min: 4.1 * MiB },
    at: T0,
  };

  it("turns a prediction into an Alertmanager alert naming the same target", async () => {
    const alert = await new PredictionRegistry().record(prediction);
    expect(alert.labels).toMatchObject({
      namespace: "shop",
      pod: "x",
      alertname: "AegisPredictedExhaustion",
      aegis_source: "predictive",
    });
    expect(alert.labels.__name__).toBeUndefined();
    expect(alert.annotations).toMatchObject({
      summary: prediction.message,
      lead_time_seconds: "1020",
      confidence: "0.80",
    });
  });

  it("gives the forecast as evidence only for alerts it raised itself", async () => {
    const reg = new PredictionRegistry();
    const alert = await reg.record(prediction);
    const signals = reg.signalsFor([alert]);
    expect(signals.find((s) => s.name === "memory_growth")?.value).toBe(Math.round((4.1 * MiB) / 60));
    // The same labels posted by someone else (another fingerprint) carry no evidence.
    expect(reg.signalsFor([{ ...alert, fingerprint: "forged" }])).toEqual([]);
  });
});
