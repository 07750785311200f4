import { describe, expect, it } from "vitest";
import { StreamingDetector } from "../../detect/detector.ts";
import { DEFAULT_DETECTOR_VERSION, listDetectorVersions, loadDetectorParams } from "../../detect/versions.ts";

const STEP = 5 * 60_000;

/** Deterministic pseudo-random normal noise (Box–Muller over a linear congruential generator). */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

function alarmsOf(version: string, values: number[]): number[] {
  const params = loadDetectorParams(version);
  const d = new StreamingDetector(params);
  return values.map((v, i) => (d.update(i * STEP, v) >= params.threshold ? i : -1)).filter((i) => i >= 0);
}

/** A spike every 100 points (a cron job), then at 3000 the level moves to a range never seen. */
function cronThenShift(seed: number): number[] {
  const n = noise(seed);
  return Array.from(
    { length: 4000 },
    (_, i) => 100 + 3 * n() + (i % 100 === 50 ? 60 : 0) + (i >= 3000 ? 80 : 0),
  );
}

describe("detector v3 (novelty context)", () => {
  it("is a version beside v2, not the default: v3 is opt-in", () => {
    expect(listDetectorVersions()).toEqual(expect.arrayContaining(["v1", "v2", "v3"]));
    expect(DEFAULT_DETECTOR_VERSION).not.toBe("v3");
    expect(loadDetectorParams("v3").novelty).toBeDefined();
    expect(loadDetectorParams("v2").novelty).toBeUndefined();
  });

  it("is causal and keeps every score in [0, 1]", () => {
    const values = cronThenShift(1);
    const params = loadDetectorParams("v3");
    const score = (vs: number[]) => {
      const d = new StreamingDetector(params);
      return vs.map((v, i) => d.update(i * STEP, v));
    };
    const full = score(values);
    expect(full.slice(0, 3100)).toEqual(score(values.slice(0, 3100)));
    expect(full.every((s) => s >= 0 && s <= 1)).toBe(true);
  });

  it("learns a recurring spike instead of alarming on each one, and still catches a move to a new range", () => {
    for (const seed of [1, 2, 3]) {
      const values = cronThenShift(seed);
      const v2 = alarmsOf("v2", values);
      const v3 = alarmsOf("v3", values);
      // 25 cron spikes between points 500 and 3000: v2 alarms on every one.
      expect(v2.filter((i) => i >= 500 && i < 3000)).toHaveLength(25);
      expect(v3.filter((i) => i >= 500 && i < 3000).length).toBeLessThanOrEqual(8);
      expect(v3.filter((i) => i >= 3000 && i < 3010)).toHaveLength(1);
    }
  });
});
