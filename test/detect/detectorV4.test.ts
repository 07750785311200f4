import { describe, expect, it } from "vitest";
import {
  STEP,
  T0,
  noise,
  alarmsOf,
  scoresOf,
  cronThenShift,
  busyAfternoons,
  POINTS_PER_DAY,
} from "../helpers/series.ts";
import { StreamingDetector } from "../../detect/detector.ts";
import { listDetectorVersions, loadDetectorParams } from "../../detect/versions.ts";

describe("detector v4 (range novelty)", () => {
  it("still loads for rollback from v5, as v2 does", () => {
    expect(listDetectorVersions()).toEqual(expect.arrayContaining(["v1", "v2", "v3", "v4"]));
    expect(loadDetectorParams("v4").range).toBeDefined();
    expect(loadDetectorParams("v2").range).toBeUndefined();
  });

  it("is causal and keeps every score in [0, 1]", () => {
    const values = cronThenShift(1);
    const full = scoresOf("v4", values);
    expect(full.slice(0, 3100)).toEqual(scoresOf("v4", values.slice(0, 3100)));
    expect(full.every((s) => s >= 0 && s <= 1)).toBe(true);
  });

  it("alarms on a recurring spike rarely (a new record only), and on a move to a range never seen within a few points", () => {
    for (const seed of [1, 2, 3]) {
      const values = cronThenShift(seed);
      // 25 cron spikes between points 500 and 3000: v2 alarms on every one.
      expect(alarmsOf("v2", values).filter((i) => i >= 500 && i < 3000)).toHaveLength(25);
      const v4 = alarmsOf("v4", values);
      // v4 alarms again only when the noise makes one spike a new record beyond the margin.
      expect(v4.filter((i) => i >= 500 && i < 3000).length).toBeLessThanOrEqual(2);
      expect(v4.filter((i) => i >= 3000 && i < 3005)).toHaveLength(1);
    }
  });

  it("stays quiet while a noisy series wanders inside the range it has shown, and alarms once when it leaves it", () => {
    const n = noise(7);
    // A slow swing of ±20 with noise 5 for 3000 points (about 10 days at 5 min), then a fall to 20.
    const values = Array.from(
      { length: 4000 },
      (_, i) => 100 + 20 * Math.sin((2 * Math.PI * i) / 700) + 5 * n() - (i >= 3500 ? 80 : 0),
    );
    const alarms = alarmsOf("v4", values);
    expect(alarms.filter((i) => i >= 1000 && i < 3500)).toHaveLength(0);
    expect(alarms.filter((i) => i >= 3500 && i < 3510)).toHaveLength(1);
    expect(alarms.filter((i) => i >= 3510)).toHaveLength(0);
  });

  it("sees a sustained shift smaller than an earlier spike (the slower smoothed value has its own range)", () => {
    const n = noise(8);
    const values = Array.from({ length: 4000 }, (_, i) => 100 + 3 * n() + (i >= 3000 ? 25 : 0));
    values[1500] = 200; // one spike far above the later shift
    const alarms = alarmsOf("v4", values);
    expect(alarms.filter((i) => i >= 1500 && i < 1505)).toHaveLength(1);
    expect(alarms.filter((i) => i >= 3000 && i < 3030)).toHaveLength(1);
  });

  it("is quiet on stationary noise: at most one alarm per 5,000 points on average", () => {
    const params = loadDetectorParams("v4");
    let alarms = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const n = noise(seed);
      const d = new StreamingDetector(params);
      for (let i = 0; i < 5000; i++) if (d.update(T0 + i * STEP, 100 + 3 * n()) >= params.threshold) alarms++;
    }
    expect(alarms).toBeLessThanOrEqual(20);
  });

  it("on a series its hour-of-day baseline explains, alarms on a value normal only at another hour", () => {
    const n = noise(4);
    const perDay = POINTS_PER_DAY;
    const values = busyAfternoons(n, 10);
    expect(alarmsOf("v4", values).filter((i) => i >= 3 * perDay)).toHaveLength(0);
    const at = 9 * perDay + 36; // day 9, 03:00: the night value jumps to the busy-hour level
    const faulty = values.map((v, i) => (i >= at && i < at + 24 ? 200 + 4 * n() : v));
    expect(alarmsOf("v4", faulty).filter((i) => i >= at && i < at + 3)).toHaveLength(1);
  });

  it("on a series its hour-of-day baseline explains, alarms when the daily peak does not come", () => {
    const n = noise(9);
    const perDay = POINTS_PER_DAY;
    const values = busyAfternoons(n, 10);
    const at = 9 * perDay + 144; // day 9, 12:00: the busy hours stay at the night's level
    const faulty = values.map((v, i) => (i >= at && i < at + 72 ? 80 + 4 * n() : v));
    expect(alarmsOf("v4", faulty).filter((i) => i >= at && i < at + 12)).toHaveLength(1);
    expect(alarmsOf("v4", values).filter((i) => i >= 3 * perDay)).toHaveLength(0);
  });

  it("does not alarm on the first few hundred points of a new bounded series, whose range is still growing", () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const params = loadDetectorParams("v4");
    let noisy = 0;
    let caught = 0;
    for (let s = 0; s < 200; s++) {
      const d = new StreamingDetector(params);
      const stepAt = s % 10 === 0 ? 120 : Infinity; // one series in ten steps up at point 120
      for (let i = 0; i < 400; i++) {
        const x = 0.2 + 0.02 * rnd() + (i >= stepAt ? 0.3 : 0);
        if (d.update(T0 + i * 15_000, x) < params.threshold) continue;
        if (i < stepAt) noisy++;
        else if (i < stepAt + 5) caught++;
      }
    }
    expect(noisy).toBe(0);
    expect(caught).toBe(20);
  });

  it("names the range among the views that drove an alarm", () => {
    const n = noise(10);
    const params = loadDetectorParams("v4");
    const d = new StreamingDetector(params);
    let at: Record<string, number> | undefined;
    for (let i = 0; i < 2000 && at === undefined; i++) {
      // A slow swing (its first cycle is new ground too), then from 1500 a jump above all of it.
      const x = 100 + 20 * Math.sin((2 * Math.PI * i) / 700) + 5 * n() + (i >= 1500 ? 60 : 0);
      if (d.update(T0 + i * STEP, x) >= params.threshold && i >= 1500) at = d.contributions();
    }
    expect(at?.range).toBeGreaterThan(1);
  });
});
