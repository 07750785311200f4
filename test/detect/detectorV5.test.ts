import { describe, expect, it } from "vitest";
import { noise, alarmsOf, scoresOf } from "../helpers/series.ts";
import { DEFAULT_DETECTOR_VERSION, listDetectorVersions, loadDetectorParams } from "../../detect/versions.ts";

function gaussian(seed: number, length = 5000): number[] {
  const n = noise(seed);
  return Array.from({ length }, () => 10 + n());
}

/** One point at 3000 half as far again from the mean as the furthest point before it. */
function withSpike(values: number[]): number[] {
  const out = [...values];
  const far = Math.max(...values.slice(0, 3000).map((v) => Math.abs(v - 10)));
  out[3000] = 10 + 1.5 * far;
  return out;
}

/** From 3000 on, the series alternates ±1.5 σ around what it was (a service that starts to flap). */
function withOscillation(values: number[]): number[] {
  return values.map((v, i) => (i >= 3000 ? v + (i % 2 === 0 ? -1.5 : 1.5) : v));
}

describe("detector v5 (v4 plus a spike range and a late range of the slow step size)", () => {
  it("is the default, and v4 stays for rollback", () => {
    expect(DEFAULT_DETECTOR_VERSION).toBe("v5");
    expect(listDetectorVersions()).toEqual(expect.arrayContaining(["v4", "v5"]));
    expect(loadDetectorParams("v5").range?.spikeSpan).toBe(1);
    expect(loadDetectorParams("v5").range?.slowSpreadLag).toBeGreaterThan(0);
    expect(loadDetectorParams("v4").range?.spikeSpan).toBeUndefined();
  });

  it("is causal and keeps every score in [0, 1]", () => {
    const values = withOscillation(withSpike(gaussian(1)));
    const full = scoresOf("v5", values);
    expect(full.slice(0, 3100)).toEqual(scoresOf("v5", values.slice(0, 3100)));
    expect(full.every((s) => s >= 0 && s <= 1)).toBe(true);
  });

  it("alarms on a single point beyond every value seen, which v4's smoothing flattens", () => {
    let v4Caught = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const values = withSpike(gaussian(seed));
      expect(alarmsOf("v5", values)).toContain(3000);
      if (alarmsOf("v4", values).includes(3000)) v4Caught++;
    }
    expect(v4Caught).toBeLessThan(6);
  });

  it("alarms within 100 points when a steady series starts to oscillate, where v4's record follows the rise", () => {
    let v4Caught = 0;
    for (const seed of [1, 2, 3, 4]) {
      const values = withOscillation(gaussian(seed));
      expect(alarmsOf("v5", values).filter((i) => i >= 3000 && i < 3100)).toHaveLength(1);
      if (alarmsOf("v4", values).some((i) => i >= 3000 && i < 3100)) v4Caught++;
    }
    expect(v4Caught).toBeLessThan(4);
  });

  it("stays as quiet as v4 on stationary noise and on a recurring spike", () => {
    for (const seed of [1, 2, 3]) {
      const values = gaussian(seed);
      expect(alarmsOf("v5", values).filter((i) => i >= 750).length).toBeLessThanOrEqual(1);
      const n = noise(seed);
      // A cron job: the same spike every 100 points. Its first visit sets the range; the rest are inside it.
      const cron = Array.from({ length: 4000 }, (_, i) => 100 + 3 * n() + (i % 100 === 50 ? 60 : 0));
      expect(alarmsOf("v5", cron).filter((i) => i >= 500).length).toBeLessThanOrEqual(2);
    }
  });
});
