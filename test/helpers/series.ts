import { StreamingDetector } from "../../detect/detector.ts";
import { loadDetectorParams } from "../../detect/versions.ts";

/** Spacing of the detector tests' synthetic series: NAB's 5 minutes. */
export const STEP = 5 * 60_000;
/** Where the detector tests' series start: a Monday, 00:00 UTC. */
export const T0 = Date.UTC(2026, 0, 5);
/** Points in a day at STEP. */
export const POINTS_PER_DAY = 288;

/** Deterministic pseudo-random normal noise (Box–Muller over a linear congruential generator). */
export function noise(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** The points at which a detector version alarms (score at or above its threshold) over a series. */
export function alarmsOf(version: string, values: number[]): number[] {
  const params = loadDetectorParams(version);
  const d = new StreamingDetector(params);
  return values
    .map((v, i) => (d.update(T0 + i * STEP, v) >= params.threshold ? i : -1))
    .filter((i) => i >= 0);
}

/** Every point's score under a fresh detector of one version. */
export function scoresOf(version: string, values: number[]): number[] {
  const d = new StreamingDetector(loadDetectorParams(version));
  return values.map((v, i) => d.update(T0 + i * STEP, v));
}

/** A spike every 100 points (a cron job), then at 3000 the level moves to a range never seen. */
export function cronThenShift(seed: number): number[] {
  const n = noise(seed);
  return Array.from(
    { length: 4000 },
    (_, i) => 100 + 3 * n() + (i % 100 === 50 ? 60 : 0) + (i >= 3000 ? 80 : 0),
  );
}

/** `days` days from T0 at 200 from 12:00 to 18:00 UTC (the busy hours) and 80 otherwise, plus 4 × the noise `n`. */
export function busyAfternoons(n: () => number, days: number): number[] {
  const busy = (i: number) => {
    const hour = new Date(T0 + i * STEP).getUTCHours();
    return hour >= 12 && hour < 18;
  };
  return Array.from({ length: days * POINTS_PER_DAY }, (_, i) => (busy(i) ? 200 : 80) + 4 * n());
}
