import { describe, expect, it } from "vitest";
import type { CorpusFile } from "../../detect/nab/corpus.ts";
import {
  changedFiles,
  choose,
  holdOut,
  randomHalves,
  splitScore,
  tabulate,
} from "../../detect/nab/heldout.ts";
import { detectCorpus } from "../../detect/nab/run.ts";
import { NAB_PROFILES, scoreCorpus } from "../../detect/nab/score.ts";
import { loadDetectorParams } from "../../detect/versions.ts";
import { STEP, T0, noise } from "../helpers/series.ts";

/** A file of noise with one labelled window around a spike above all before it at `at` (or none). */
function file(name: string, seed: number, at: number | undefined): CorpusFile {
  const n = noise(seed);
  const values = Array.from({ length: 3000 }, () => 10 + n());
  if (at !== undefined) values[at] = 10 + 1.5 * Math.max(...values.slice(0, at).map((v) => Math.abs(v - 10)));
  return {
    name,
    points: values.map((value, i) => ({ stamp: String(i), t: T0 + i * STEP, value })),
    windows: at === undefined ? [] : [[at - 100, at + 100]],
  };
}

describe("held-out protocol (detect/nab/heldout.ts)", () => {
  const files = [1, 2, 3, 4, 5, 6].map((s) => file(`f${s}`, s, s <= 4 ? 2000 : undefined));
  const v4 = { name: "v4", params: loadDetectorParams("v4") };
  const v5 = { name: "v5", params: loadDetectorParams("v5") };

  it("scores a split as NAB scores those files on their own", () => {
    const table = tabulate(files, [v4, v5]);
    const idx = [0, 2, 5];
    const direct = scoreCorpus(
      detectCorpus(
        idx.map((i) => files[i]!),
        v5.params,
      ),
      v5.params.threshold,
      NAB_PROFILES[0]!,
    );
    expect(splitScore(table, 1, idx)).toBeCloseTo(direct.score, 9);
  });

  it("keeps the base on a tie, takes a setting that scores better on the design half, and reports the test half", () => {
    const table = tabulate(files, [v4, v5]);
    // Two files without an anomaly: both versions stay quiet, so the base (listed first) is kept.
    expect(choose(table, [4, 5])).toBe(0);
    expect(changedFiles(table, 0, 1).every((f) => f <= 3)).toBe(true);
    // With the spikes, v5 (which sees a single point above all before) must score at least as well.
    const r = holdOut(table, [0, 1, 4], [2, 3, 5]);
    expect(r.test).toBeGreaterThanOrEqual(r.baseTest);
    expect(splitScore(table, 1, [0, 1, 2, 3])).toBeGreaterThan(splitScore(table, 0, [0, 1, 2, 3]));
  });

  it("cuts the files into two disjoint halves, the same for the same seed", () => {
    const [a, b] = randomHalves(28, 7);
    expect(a).toHaveLength(14);
    expect([...a, ...b].sort((x, y) => x - y)).toEqual(Array.from({ length: 28 }, (_, i) => i));
    expect(randomHalves(28, 7)).toEqual([a, b]);
    expect(randomHalves(28, 8)).not.toEqual([a, b]);
  });
});
