/**
 * Synthetic series for checking a detector beyond NAB: bounded families with no anomaly (false alarms), and
 * the same families with one generic anomaly injected (a spike above all before it, the noise tripled, an
 * oscillation starting). Seeded, so every run sees the same series.
 */
import { StreamingDetector } from "../detect/detector.ts";
import type { DetectorParams } from "../detect/params.ts";

const N = 5000;
const STEP_MS = 5 * 60_000;
/** Alarms before this point are not counted: the first points are the detector's warm-up (NAB: probation). */
const COUNT_FROM = 750;
/** Where an anomaly is injected, and how long after it a detection counts. */
const AT = 3000;
const WITHIN = 100;

type Rng = () => number;

function uniform(seed: number): Rng {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
}

function gauss(u: Rng): number {
  return Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Families of bounded series with no anomaly, N points at 5-minute spacing. */
export const FAMILIES: Record<string, (u: Rng) => number[]> = {
  gaussian: (u) => Array.from({ length: N }, () => 10 + gauss(u)),
  "student-t3": (u) =>
    Array.from({ length: N }, () => {
      const chi2 = gauss(u) ** 2 + gauss(u) ** 2 + gauss(u) ** 2;
      return 10 + gauss(u) / Math.sqrt(chi2 / 3);
    }),
  lognormal: (u) => Array.from({ length: N }, () => Math.exp(gauss(u))),
  "cron spikes": (u) =>
    Array.from({ length: N }, (_, i) => 5 + 0.3 * gauss(u) + (i % 96 === 0 ? 20 + 2 * gauss(u) : 0)),
  "bursty counts": (u) => Array.from({ length: N }, () => (u() < 0.03 ? 50 * u() : 0) + u()),
  "mean-reverting wander": (u) => {
    let x = 0;
    return Array.from({ length: N }, () => (x += -0.01 * x + 0.3 * gauss(u)));
  },
  daily: (u) =>
    Array.from({ length: N }, (_, i) => 50 + 20 * Math.sin((2 * Math.PI * i) / 288) + 2 * gauss(u)),
  "on/off": (u) => Array.from({ length: N }, (_, i) => (Math.floor(i / 37) % 3 === 0 ? 30 : 2) + gauss(u)),
};

function meanOf(xs: number[], n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) m += xs[i]!;
  return m / n;
}

/** Generic anomalies injected at point AT of a series. */
export const ANOMALIES: Record<string, (xs: number[]) => void> = {
  // One point 1.5× as far from the mean as the furthest before it.
  "spike above all before": (xs) => {
    const m = meanOf(xs, AT);
    let far = 0;
    for (let i = 0; i < AT; i++) far = Math.max(far, xs[i]! - m);
    xs[AT] = m + 1.5 * far;
  },
  "noise tripled": (xs) => {
    const m = meanOf(xs, AT);
    for (let i = AT; i < xs.length; i++) xs[i] = m + 3 * (xs[i]! - m);
  },
  // An alternation of ±1.5 standard deviations on top of the series from AT on.
  "oscillation starts": (xs) => {
    const m = meanOf(xs, AT);
    let v = 0;
    for (let i = 0; i < AT; i++) v += (xs[i]! - m) ** 2;
    const sd = Math.sqrt(v / AT);
    for (let i = AT; i < xs.length; i++) xs[i] = xs[i]! + (i % 2 === 0 ? -1 : 1) * 1.5 * sd;
  },
};

function alarmRows(params: DetectorParams, xs: number[]): number[] {
  const d = new StreamingDetector(params);
  const rows: number[] = [];
  for (let i = 0; i < xs.length; i++) if (d.update(i * STEP_MS, xs[i]!) >= params.threshold) rows.push(i);
  return rows;
}

/** Alarms per series (after the warm-up) on `seeds` series of a family with no anomaly. */
export function falseAlarmsPerSeries(params: DetectorParams, family: string, seeds = 20): number {
  let alarms = 0;
  for (let s = 1; s <= seeds; s++) {
    alarms += alarmRows(params, FAMILIES[family]!(uniform(s * 7919))).filter((i) => i >= COUNT_FROM).length;
  }
  return alarms / seeds;
}

/** Share of `seeds` series of a family in which an anomaly is alarmed on within WITHIN points. */
export function detectedShare(params: DetectorParams, family: string, anomaly: string, seeds = 20): number {
  let hits = 0;
  for (let s = 1; s <= seeds; s++) {
    const xs = FAMILIES[family]!(uniform(s * 7919));
    ANOMALIES[anomaly]!(xs);
    if (alarmRows(params, xs).some((i) => i >= AT && i < AT + WITHIN)) hits++;
  }
  return hits / seeds;
}
