import { StreamingDetector } from "../../detect/detector.ts";
import { loadDetectorParams } from "../../detect/versions.ts";

/** The detector tests' series: one point every 5 minutes from T0. */
export const STEP = 5 * 60_000;
export const T0 = Date.UTC(2026, 0, 5); // a Monday, 00:00 UTC
export const POINTS_PER_DAY = 288;

/** Deterministic pseudo-random normal noise (Box–Muller over a linear congruential generator). */
export function noise(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Indices of the points a detector version scores at or over its threshold (point i stands at start + i·STEP). */
export function alarmsOf(version: string, values: number[], start = T0): number[] {
  const params = loadDetectorParams(version);
  const d = new StreamingDetector(params);
  return values
    .map((v, i) => (d.update(start + i * STEP, v) >= params.threshold ? i : -1))
    .filter((i) => i >= 0);
}

/** A spike every 100 points (a cron job), then at 3000 the level moves to a range never seen. */
export function cronThenShift(seed: number): number[] {
  const n = noise(seed);
  return Array.from(
    { length: 4000 },
    (_, i) => 100 + 3 * n() + (i % 100 === 50 ? 60 : 0) + (i >= 3000 ? 80 : 0),
  );
}

/** `days` days from T0 at 200 from 12:00 to 18:00 UTC and 80 the rest of the day, plus 4 × the noise `n`. */
export function busyAfternoons(n: () => number, days: number): number[] {
  const busy = (i: number) => {
    const hour = new Date(T0 + i * STEP).getUTCHours();
    return hour >= 12 && hour < 18;
  };
  return Array.from({ length: days * POINTS_PER_DAY }, (_, i) => (busy(i) ? 200 : 80) + 4 * n());
}
