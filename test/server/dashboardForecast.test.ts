import { describe, expect, it } from "vitest";
import type { Prediction } from "../../detect/watcher/prediction.ts";
import { predictionAlert } from "../../detect/watcher/prediction.ts";
import { PredictionRegistry } from "../../detect/watcher/registry.ts";
import { forecastView } from "../../server/dashboard/forecast.ts";

const AT = Date.parse("2026-12-07T10:00:00Z");
const MiB = 2 ** 20;

/** A memory exhaustion prediction as the watcher raises it: 4 MiB/min towards 512 MiB, 17 min (14 to 21). */
function leak(): Prediction {
  return {
    key: "container_memory|checkout",
    kind: "exhaustion",
    series: "container_memory",
    labels: { container: "checkout" },
    family: "memory_leak",
    message: "checkout's container_memory grows 4.0 MiB/min; its limit (512 MiB) is reached in 17 min (± 3)",
    leadTimeMs: 17 * 60_000,
    confidence: 0.9,
    contributions: { growth_per_min: 4 * MiB, headroom: 68 * MiB },
    at: AT,
    chart: {
      unit: "bytes",
      observed: [
        [AT - 120_000, 436 * MiB],
        [AT - 60_000, 440 * MiB],
        [AT, 444 * MiB],
      ],
      forecast: [
        [AT, 444 * MiB],
        [AT + 17 * 60_000, 512 * MiB],
      ],
      limit: 512 * MiB,
      limitLabel: "limit",
      crossing: { at: AT + 17 * 60_000, low: AT + 14 * 60_000, high: AT + 21 * 60_000 },
    },
  };
}

describe("forecast of a predictive incident", () => {
  it("is the watcher's own chart for the incident's alert: series, forecast, limit and crossing with its band", async () => {
    const registry = new PredictionRegistry();
    const alert = await registry.record(leak());
    const f = forecastView(registry.forecastsFor([alert]))!;
    expect(f).toMatchObject({
      series: "container_memory",
      unit: "bytes",
      limit: 512 * MiB,
      crossingAt: AT + 17 * 60_000,
      crossingLow: AT + 14 * 60_000,
      crossingHigh: AT + 21 * 60_000,
    });
    expect(f.observed).toHaveLength(3);
    expect(f.projected.at(-1)).toEqual({ t: AT + 17 * 60_000, v: 512 * MiB });
  });

  it("is absent for an alert the watcher did not raise, even one posted with a predictive alert's labels", async () => {
    const registry = new PredictionRegistry();
    await registry.record({ ...leak(), key: "other" });
    // The same labels and annotations, another series: its fingerprint is not in the registry.
    const forged = predictionAlert({ ...leak(), key: "container_memory|forged" });
    expect(forecastView(registry.forecastsFor([forged]))).toBeUndefined();
    // A prediction without a chart (an anomaly) draws nothing; neither does a malformed entry.
    const anomaly = await registry.record({ ...leak(), key: "a", kind: "anomaly", chart: undefined });
    expect(forecastView(registry.forecastsFor([anomaly]))).toBeUndefined();
    expect(forecastView([{ kind: "exhaustion", chart: { limit: "high" } }])).toBeUndefined();
  });
});
