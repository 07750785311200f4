import { afterEach, describe, expect, it } from "vitest";
import { startKubeSim, type KubeSim } from "@aegisops/kube-sim";
import { MetricHistory, parseExposition, recordedSim } from "../../evals/harness/metricHistory.ts";
import { startFakePrometheus, type FakePrometheus } from "../../evals/harness/fakePrometheus.ts";
import { queryPrometheus } from "../../tools/prometheus/instantQuery.ts";
import { queryPrometheusRange } from "../../tools/prometheus/rangeQuery.ts";

const T0 = Date.parse("2026-12-07T12:00:00Z");
let prom: FakePrometheus | undefined;
let sim: KubeSim | undefined;
afterEach(async () => {
  await prom?.stop();
  await sim?.stop();
  prom = sim = undefined;
});

/** Scrapes every 15 s for `n` scrapes: a counter at 10/s per pod, a histogram, a gauge that vanishes with pod b. */
function history(n: number): MetricHistory {
  const h = new MetricHistory();
  for (let i = 0; i < n; i++) {
    const t = T0 + i * 15_000;
    const c = i * 150;
    const lines = [
      `http_requests_total{namespace="shop",pod="web-a",code="200"} ${c}`,
      `http_requests_total{namespace="shop",pod="web-a",code="500"} ${c / 10}`,
      // le 0.1 gets 90 % of requests, le 0.5 all of them.
      `http_request_duration_seconds_bucket{namespace="shop",pod="web-a",le="0.1"} ${c * 0.9}`,
      `http_request_duration_seconds_bucket{namespace="shop",pod="web-a",le="0.5"} ${c}`,
      `http_request_duration_seconds_bucket{namespace="shop",pod="web-a",le="+Inf"} ${c}`,
      `container_memory_working_set_bytes{namespace="shop",pod="web-a",container="web"} ${1000 + i}`,
    ];
    if (i < 4)
      lines.push(`container_memory_working_set_bytes{namespace="shop",pod="web-b",container="web"} 5`);
    h.record("kube-sim", t, `# TYPE x counter\n${lines.join("\n")}\n`);
  }
  return h;
}

describe("the eval's Prometheus", () => {
  it("parses the text exposition with escaped label values", () => {
    expect(parseExposition('# HELP x y\nx{a="q\\"uote",b="c"} 3 1700000000\ny 4\n')).toEqual([
      { labels: { __name__: "x", a: 'q"uote', b: "c" }, value: 3 },
      { labels: { __name__: "y" }, value: 4 },
    ]);
  });

  it("answers instant queries through the real client: rate, ratio, quantile, target labels and up", async () => {
    const now = T0 + 20 * 15_000;
    prom = await startFakePrometheus(history(21), () => now);
    const url = prom.url;
    const rate = await queryPrometheus({
      prometheusUrl: url,
      query: 'sum by (pod) (rate(http_requests_total{pod="web-a"}[1m]))',
    });
    expect(rate.series).toHaveLength(1);
    expect(rate.series[0]!.labels).toEqual({ pod: "web-a" });
    expect(rate.series[0]!.value).toBeCloseTo(11, 5);
    const ratio = await queryPrometheus({
      prometheusUrl: url,
      query: 'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.05',
    });
    expect(ratio.series[0]!.value).toBeCloseTo(1 / 11, 5);
    const p95 = await queryPrometheus({
      prometheusUrl: url,
      query: "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))",
    });
    // Rank 0.95 of the requests falls halfway into the (0.1, 0.5] bucket.
    expect(p95.series[0]!.value).toBeCloseTo(0.3, 5);
    const up = await queryPrometheus({ prometheusUrl: url, query: 'up{instance="kube-sim"} == 1' });
    expect(up.series[0]!.labels).toMatchObject({ job: "kube-sim", instance: "kube-sim" });
    const below = await queryPrometheus({
      prometheusUrl: url,
      query: "sum(rate(http_requests_total[1m])) > 100",
    });
    expect(below.series).toEqual([]);
  });

  it("marks a vanished series stale, as Prometheus does, instead of repeating its last value for 5 minutes", async () => {
    prom = await startFakePrometheus(history(10), () => T0 + 9 * 15_000);
    const mem = await queryPrometheus({
      prometheusUrl: prom.url,
      query: "container_memory_working_set_bytes",
    });
    expect(mem.series.map((s) => s.labels.pod)).toEqual(["web-a"]);
    const before = await queryPrometheus({
      prometheusUrl: prom.url,
      query: 'container_memory_working_set_bytes{pod="web-b"}',
      time: new Date(T0 + 3 * 15_000).toISOString(),
    });
    expect(before.series).toHaveLength(1);
  });

  it("answers range queries with each sample's own time from timestamp()", async () => {
    prom = await startFakePrometheus(history(21), () => T0 + 20 * 15_000);
    const r = await queryPrometheusRange({
      prometheusUrl: prom.url,
      query: 'max by (pod) (timestamp(container_memory_working_set_bytes{pod="web-a"}))',
      start: new Date(T0 + 60_000).toISOString(),
      end: new Date(T0 + 120_000).toISOString(),
      stepSeconds: 5,
    });
    expect(r.series).toHaveLength(1);
    const scrapes = new Set(r.series[0]!.points.map(([, v]) => v));
    // 60..120 s at 5 s steps see the scrapes at 60, 75, 90, 105 and 120 s, each at its own time.
    expect([...scrapes]).toEqual([60, 75, 90, 105, 120].map((s) => (T0 + s * 1000) / 1000));
  });

  it("refuses what it does not implement with Prometheus' bad_data, never a guess", async () => {
    prom = await startFakePrometheus(history(5), () => T0 + 60_000);
    await expect(
      queryPrometheus({ prometheusUrl: prom.url, query: "predict_linear(x[5m], 60)" }),
    ).rejects.toThrow(/bad_data.*predict_linear/);
    await expect(queryPrometheus({ prometheusUrl: prom.url, query: "sum(" })).rejects.toThrow(
      /bad_data.*parse/,
    );
    const res = await fetch(`${prom.url}/api/v1/labels`);
    expect(res.status).toBe(404);
  });

  it("records a simulated cluster every 15 s of its virtual time, whatever steps the clock moves in", async () => {
    sim = await startKubeSim({ clock: "virtual", port: 0 });
    const h = new MetricHistory();
    const recorded = recordedSim(sim, h, "demo");
    const t0 = sim.clock.now();
    recorded.advance(20_000);
    recorded.advance(40_000);
    const up = h.named("up")[0]!;
    expect(up.samples.map((s) => s.t - t0)).toEqual([0, 15_000, 30_000, 45_000, 60_000]);
    expect(sim.clock.now() - t0).toBe(60_000);
    expect(h.named("kube_pod_info").length).toBeGreaterThan(0);
  });
});
