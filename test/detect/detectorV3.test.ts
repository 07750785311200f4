import { describe, expect, it } from "vitest";
import { STEP, alarmsOf, cronThenShift } from "../helpers/series.ts";
import { StreamingDetector } from "../../detect/detector.ts";
import { DEFAULT_DETECTOR_VERSION, listDetectorVersions, loadDetectorParams } from "../../detect/versions.ts";

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
