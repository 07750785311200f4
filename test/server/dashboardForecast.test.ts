import { describe, expect, it } from "vitest";
import { predictionAlert } from "../../detect/watcher/prediction.ts";
import { PredictionRegistry } from "../../detect/watcher/registry.ts";
import { forecastView } from "../../server/dashboard/forecast.ts";
import { leakPrediction } from "../helpers/predictions.ts";

const AT = Date.parse("2026-12-07T10:00:00Z");
const MiB = 2 ** 20;

const leak = () => leakPrediction("checkout", AT);

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
    expect(f.observed).toHaveLength(20);
    expect(f.projected.at(-1)).toEqual({ t: AT + 17 * 60_000, v: 512 * MiB });
  });

  it("is absent for an alert the watcher did not raise, even one posted with a predictive alert's labels", async () => {
    const registry = new PredictionRegistry();
    await registry.record({ ...leak(), key: "other" });
    // The same labels and annotations, another series: its fingerprint is not in the registry.
    const forged = predictionAlert({ ...leak(), key: "container_memory|forged" });
    expect(forecastView(registry.forecastsFor([forged]))).toBeUndefined();
    // A prediction without a chart (an anomaly) draws nothing.
    const anomaly = await registry.record({ ...leak(), key: "a", kind: "anomaly", chart: undefined });
    expect(forecastView(registry.forecastsFor([anomaly]))).toBeUndefined();
  });
});
