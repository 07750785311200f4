import { StreamingDetector } from "../../detect/detector.ts";
import { loadDetectorParams } from "../../detect/versions.ts";

/** Spacing of the detector tests' synthetic series: NAB's 5 minutes. */
export const STEP = 5 * 60_000;
/** Where the detector tests' series start: a Monday, 00:00 UTC. */
export const T0 = Date.UTC(2026, 0, 5);

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
