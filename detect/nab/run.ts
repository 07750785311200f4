import { StreamingDetector } from "../detector.ts";
import type { DetectorParams } from "../params.ts";
import type { CorpusFile } from "./corpus.ts";
import { NAB_PROFILES, scoreCorpus, sweepThreshold, type NabFileScores, type NabResult } from "./score.ts";

/** A corpus scored under every profile, with the product's fixed threshold and with the swept one. */
export interface NabReport {
  files: number;
  windows: number;
  points: number;
  fixed: NabResult[];
  swept: NabResult[];
}

/** Run a fresh detector over each file (row by row, causally) and keep the per-row scores. */
export function detectCorpus(files: CorpusFile[], params: DetectorParams): NabFileScores[] {
  return files.map((f) => {
    const detector = new StreamingDetector(params);
    const scores = new Float64Array(f.points.length);
    for (let i = 0; i < f.points.length; i++) scores[i] = detector.update(f.points[i]!.t, f.points[i]!.value);
    return { name: f.name, scores, windows: f.windows };
  });
}

/** Score a corpus the NAB way (all three profiles, fixed and swept threshold). */
export function scoreNab(files: CorpusFile[], params: DetectorParams): NabReport {
  const scored = detectCorpus(files, params);
  return {
    files: files.length,
    windows: scored.reduce((n, f) => n + f.windows.length, 0),
    points: files.reduce((n, f) => n + f.points.length, 0),
    fixed: NAB_PROFILES.map((p) => scoreCorpus(scored, params.threshold, p)),
    swept: NAB_PROFILES.map((p) => sweepThreshold(scored, p)),
  };
}

/**
 * The corpus cut in two for a held-out check: files in name order, alternately to each half (tune on one,
 * score on the other).
 */
export function splitHalves(files: CorpusFile[]): [CorpusFile[], CorpusFile[]] {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [sorted.filter((_, i) => i % 2 === 0), sorted.filter((_, i) => i % 2 === 1)];
}
