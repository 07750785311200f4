import type { DetectorParams } from "../params.ts";
import type { CorpusFile } from "./corpus.ts";
import { detectCorpus } from "./run.ts";
import { NAB_PROFILES, scoreFile, type NabProfile } from "./score.ts";

/** One detector setting under test: a name and its parameters. */
export interface Setting {
  name: string;
  params: DetectorParams;
}

/** Each setting's raw NAB score per file (standard profile, its own fixed threshold): scored once, summed per split. */
export interface SettingTable {
  settings: Setting[];
  files: CorpusFile[];
  /** raw[s][f]: setting s on file f. */
  raw: number[][];
  /** Every alarm row per setting and file, to tell which files a setting changes. */
  alarms: string[][];
}

/** Run every setting over every file once. */
export function tabulate(
  files: CorpusFile[],
  settings: Setting[],
  profile: NabProfile = NAB_PROFILES[0]!,
): SettingTable {
  const raw: number[][] = [];
  const alarms: string[][] = [];
  for (const s of settings) {
    const scored = detectCorpus(files, s.params);
    raw.push(scored.map((f) => scoreFile(f, s.params.threshold, profile).raw));
    alarms.push(
      scored.map((f) =>
        Array.from(f.scores)
          .flatMap((x, i) => (x >= s.params.threshold ? [i] : []))
          .join(","),
      ),
    );
  }
  return { settings, files, raw, alarms };
}

/** NAB's normalised score (0–100) of setting `s` on the files at `idx`. */
export function splitScore(
  t: SettingTable,
  s: number,
  idx: readonly number[],
  profile = NAB_PROFILES[0]!,
): number {
  let raw = 0;
  let windows = 0;
  for (const f of idx) {
    raw += t.raw[s]![f]!;
    windows += t.files[f]!.windows.length;
  }
  const perfect = profile.tp * windows;
  const nil = -profile.fn * windows;
  return perfect === nil ? 0 : (100 * (raw - nil)) / (perfect - nil);
}

/**
 * The setting a tuner would pick on the files at `idx`: the best standard score; a tie goes to the earlier
 * setting (put the current version first, so a change must earn its place on the design half).
 */
export function choose(t: SettingTable, idx: readonly number[]): number {
  let best = 0;
  let bestScore = splitScore(t, 0, idx);
  for (let s = 1; s < t.settings.length; s++) {
    const score = splitScore(t, s, idx);
    if (score > bestScore + 1e-9) {
      best = s;
      bestScore = score;
    }
  }
  return best;
}

/** One design/test split: the setting chosen on the design half and how it and the base do on the test half. */
export interface HeldOutResult {
  chosen: string;
  design: number;
  test: number;
  baseTest: number;
}

/** Choose on `design`, score on `test`, beside the base (setting 0) on `test`. */
export function holdOut(t: SettingTable, design: readonly number[], test: readonly number[]): HeldOutResult {
  const s = choose(t, design);
  return {
    chosen: t.settings[s]!.name,
    design: splitScore(t, s, design),
    test: splitScore(t, s, test),
    baseTest: splitScore(t, 0, test),
  };
}

/** File indices cut in two at random (seeded, reproducible): each split a design half and a test half. */
export function randomHalves(n: number, seed: number): [number[], number[]] {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  const half = Math.floor(n / 2);
  return [idx.slice(0, half).sort((a, b) => a - b), idx.slice(half).sort((a, b) => a - b)];
}

/** Files (by index) whose alarms differ between settings a and b. */
export function changedFiles(t: SettingTable, a: number, b: number): number[] {
  return t.files.flatMap((_, f) => (t.alarms[a]![f] !== t.alarms[b]![f] ? [f] : []));
}
