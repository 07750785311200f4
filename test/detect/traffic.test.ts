import { describe, expect, it } from "vitest";
import { SeasonalProfile, forecastTraffic, planReplicas } from "../../detect/forecast/traffic.ts";

const MIN = 60_000;
const DAY = 1440 * MIN;
const MONDAY = Date.UTC(2026, 0, 5);

/** Requests per second with a morning ramp: 100 at night, 400 from 09:00 (ramping over 08:00–09:00). */
function rps(t: number): number {
  const minute = (((t % DAY) + DAY) % DAY) / MIN;
  if (minute < 480) return 100;
  if (minute < 540) return 100 + (300 * (minute - 480)) / 60;
  if (minute < 1080) return 400;
  return 100;
}

function learnt(days: number, weekly = false): SeasonalProfile {
  const p = new SeasonalProfile({ weekly });
  for (let t = MONDAY; t < MONDAY + days * DAY; t += 15_000) p.learn(t, rps(t));
  return p;
}

describe("seasonal traffic forecast", () => {
  it("sees the morning ramp coming before it starts", () => {
    const profile = learnt(3);
    const now = MONDAY + 3 * DAY + 7.5 * 60 * MIN; // 07:30, traffic still at night level
    const f = forecastTraffic(profile, now, rps(now), 120 * MIN)!;
    expect(f.peak).toBeCloseTo(400, 0);
    expect(f.growth).toBeGreaterThan(3.5);
    expect(f.peakAt).toBeGreaterThan(now + 60 * MIN);
  });

  it("scales the forecast when today is busier than usual, and caps one odd sample's effect", () => {
    const profile = learnt(3);
    const now = MONDAY + 3 * DAY + 7.5 * 60 * MIN;
    expect(forecastTraffic(profile, now, 150, 120 * MIN)!.peak).toBeCloseTo(600, 0);
    expect(forecastTraffic(profile, now, 10_000, 90 * MIN)!.scale).toBe(2);
  });

  it("forecasts nothing without history for the time ahead", () => {
    const profile = learnt(1);
    expect(forecastTraffic(new SeasonalProfile(), MONDAY, 100, 60 * MIN)).toBeUndefined();
    expect(forecastTraffic(profile, MONDAY + DAY + 7 * 60 * MIN, 100, 60 * MIN)).toBeDefined();
  });

  it("keeps weekdays apart in a weekly profile", () => {
    const p = new SeasonalProfile({ weekly: true });
    // Saturday is quiet all day; Monday has the ramp.
    for (let t = MONDAY - 2 * DAY; t < MONDAY + DAY; t += 60_000) p.learn(t, t < MONDAY ? 50 : rps(t));
    p.learn(MONDAY + DAY, 0); // close the last slot
    expect(p.expected(MONDAY + 10 * 60 * MIN)).toBeCloseTo(400, 0);
    expect(p.expected(MONDAY - 2 * DAY + 10 * 60 * MIN)).toBeCloseTo(50, 0);
  });

  it("plans replicas for the peak at the target utilisation, never fewer than running, capped", () => {
    expect(planReplicas(400, 2, 100)).toEqual({ current: 2, needed: 6, scaleUp: true });
    expect(planReplicas(50, 4, 100)).toEqual({ current: 4, needed: 4, scaleUp: false });
    expect(planReplicas(4000, 2, 100, { maxReplicas: 10 }).needed).toBe(10);
  });
});
