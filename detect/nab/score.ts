/**
 * NAB scoring (Numenta Anomaly Benchmark v1.1, as evals/nab/README.md states it): windows reward the
 * earliest detection, detections outside windows cost A_FP weighted by their distance from the last window.
 */

/** Weights of one NAB application profile. */
export interface NabProfile {
  name: string;
  tp: number;
  fp: number;
  fn: number;
}

/** The three NAB profiles. */
export const NAB_PROFILES: readonly NabProfile[] = [
  { name: "standard", tp: 1, fp: 0.11, fn: 1 },
  { name: "reward_low_FP", tp: 1, fp: 0.22, fn: 1 },
  { name: "reward_low_FN", tp: 1, fp: 0.11, fn: 2 },
];

/** One scored file: per-row anomaly scores and its windows as inclusive row ranges. */
export interface NabFileScores {
  name: string;
  scores: ArrayLike<number>;
  windows: Array<[number, number]>;
}

/** NAB's scaled sigmoid: 2/(1+e^{5y}) − 1, and −1 beyond y = 3. */
export function nabSigmoid(y: number): number {
  if (y > 3) return -1;
  return 2 / (1 + Math.exp(5 * y)) - 1;
}

/** Rows never scored at the start of a file of `n` rows. */
export function probationRows(n: number): number {
  return Math.min(Math.floor(0.15 * n), 750);
}

/** Counts of one file (or a corpus) at one threshold. */
export interface NabTally {
  raw: number;
  tp: number;
  fn: number;
  fp: number;
}

/** Raw NAB score of one file for threshold θ and profile. */
export function scoreFile(file: NabFileScores, theta: number, profile: NabProfile): NabTally {
  const n = file.scores.length;
  const start = probationRows(n);
  const windows = [...file.windows].sort((a, b) => a[0] - b[0]);
  const detected = new Array<boolean>(windows.length).fill(false);
  let raw = 0;
  let fp = 0;
  let w = 0; // index of the first window that does not end before row i
  for (let i = start; i < n; i++) {
    while (w < windows.length && windows[w]![1] < i) w++;
    if ((file.scores[i] ?? 0) < theta) continue;
    const win = windows[w];
    if (win !== undefined && i >= win[0]) {
      if (!detected[w]) {
        detected[w] = true;
        const width = win[1] - win[0] + 1;
        raw += (profile.tp * nabSigmoid(-(win[1] - i + 1) / width)) / nabSigmoid(-1);
      }
      continue;
    }
    fp++;
    const prev = windows[w - 1];
    if (prev === undefined) {
      raw += profile.fp * -1;
    } else {
      const width = prev[1] - prev[0] + 1;
      raw += profile.fp * nabSigmoid(Math.abs(i - prev[1]) / Math.max(width - 1, 1));
    }
  }
  const missed = detected.filter((d) => !d).length;
  raw -= profile.fn * missed;
  return { raw, tp: windows.length - missed, fn: missed, fp };
}

/** A corpus' result for one profile and threshold, normalised to NAB's 0–100 scale. */
export interface NabResult extends NabTally {
  profile: string;
  threshold: number;
  score: number;
  windows: number;
}

/** Normalised NAB score of a corpus at one threshold. */
export function scoreCorpus(files: NabFileScores[], theta: number, profile: NabProfile): NabResult {
  const total: NabTally = { raw: 0, tp: 0, fn: 0, fp: 0 };
  let windows = 0;
  for (const file of files) {
    const t = scoreFile(file, theta, profile);
    total.raw += t.raw;
    total.tp += t.tp;
    total.fn += t.fn;
    total.fp += t.fp;
    windows += file.windows.length;
  }
  const perfect = profile.tp * windows;
  const nil = -profile.fn * windows;
  const score = perfect === nil ? 0 : (100 * (total.raw - nil)) / (perfect - nil);
  return { profile: profile.name, threshold: theta, score, windows, ...total };
}

/** The threshold that maximises a profile's score over the corpus (NAB's one global θ per profile). */
export function sweepThreshold(files: NabFileScores[], profile: NabProfile, steps = 200): NabResult {
  const candidates = new Set<number>();
  for (let k = 1; k <= steps; k++) candidates.add(k / steps);
  let best: NabResult | undefined;
  for (const theta of candidates) {
    const r = scoreCorpus(files, theta, profile);
    if (best === undefined || r.raw > best.raw) best = r;
  }
  return best!;
}
