import { describe, expect, it } from "vitest";
import { predictionAlert, type Prediction } from "../../detect/watcher/prediction.ts";
import { forecastOf } from "../../server/dashboard/forecast.ts";
import { fixture } from "./helpers.ts";

const AT = Date.parse("2026-12-07T10:00:00Z");

/** A memory exhaustion prediction as the watcher raises it: 4 MiB/min, 68 MiB left, 17 min (14 to 21). */
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
    contributions: {
      growth_per_min: 4 * 2 ** 20,
      headroom: 68 * 2 ** 20,
      t_stat: 40,
      eta_low_min: 14,
      eta_high_min: 21,
    },
    at: AT,
  };
}

describe("forecast of a predictive incident", () => {
  it("draws the headroom falling to the limit at the predicted crossing, with its band", () => {
    const f = forecastOf({ alerts: [predictionAlert(leak())] })!;
    expect(f.measure).toBe("headroom");
    expect(f.limit).toBe(0);
    expect(f.crossingAt).toBe(AT + 17 * 60_000);
    expect(f.crossingLow).toBe(AT + 14 * 60_000);
    expect(f.crossingHigh).toBe(AT + 21 * 60_000);
    expect(f.projected[0]).toEqual({ t: AT, v: 68 * 2 ** 20 });
    // The line goes on past the latest crossing, below the limit.
    expect(f.projected.at(-1)!.t).toBeGreaterThan(f.crossingHigh!);
    expect(f.projected.at(-1)!.v).toBeLessThan(0);
    expect(f.message).toContain("reached in 17 min");
  });

  it("is absent for an ordinary alert, an anomaly and unreadable contributions", () => {
    const ordinary = fixture("am-webhook-firing").alerts[0]!;
    expect(forecastOf({ alerts: [ordinary] })).toBeUndefined();
    const anomaly = predictionAlert({
      ...leak(),
      kind: "anomaly",
      leadTimeMs: null,
      contributions: { level: 3 },
    });
    expect(forecastOf({ alerts: [anomaly] })).toBeUndefined();
    const garbled = predictionAlert(leak());
    garbled.annotations.contributions = "{not json";
    expect(forecastOf({ alerts: [garbled] })).toBeUndefined();
    const shrinking = predictionAlert({ ...leak(), contributions: { growth_per_min: -1, headroom: 5 } });
    expect(forecastOf({ alerts: [shrinking] })).toBeUndefined();
  });
});
