/**
 * Does a new detector version generalise? The protocol the next tuner reruns (`npm run bench -- detect-heldout`):
 * the newest version (the candidate) against the one before it (the base) on the NAB development slice, whole
 * and in halves, all three profiles with the fixed and the swept threshold; which files the candidate changes;
 * its new parameters chosen on one half and scored on the other (the even/odd halves both ways, each category
 * left out, then 100 random halves), a tie going to the base; and both on synthetic series NAB does not hold.
 */
import { loadCorpus } from "../detect/nab/corpus.ts";
import { changedFiles, holdOut, randomHalves, tabulate, type Setting } from "../detect/nab/heldout.ts";
import { scoreNab, splitHalves } from "../detect/nab/run.ts";
import type { DetectorParams } from "../detect/params.ts";
import { listDetectorVersions, loadDetectorParams } from "../detect/versions.ts";
import { ANOMALIES, FAMILIES, detectedShare, falseAlarmsPerSeries } from "./detectSynthetic.ts";
import { infoRow, type BenchRow } from "./report.ts";

const NAB_DIR = new URL("../evals/nab/", import.meta.url);
const RANDOM_SPLITS = 100;
/** Each range parameter the candidate sets differently from the base is tried at these multiples of its value. */
const NEIGHBOURS = [0.5, 0.75, 1.33, 2];

type RangeParams = NonNullable<DetectorParams["range"]>;

/**
 * The base, the candidate, and the candidate's neighbourhood: each range parameter it changes or adds, one at
 * a time, reverted to the base's value (or removed) and moved to NEIGHBOURS × its value.
 */
export function neighbourhood(base: Setting, candidate: Setting): Setting[] {
  const out: Setting[] = [base, candidate];
  const b = (base.params.range ?? {}) as Partial<RangeParams>;
  const c = candidate.params.range;
  if (c === undefined) return out;
  for (const key of Object.keys(c) as Array<keyof RangeParams>) {
    const value = c[key];
    if (typeof value !== "number" || value === b[key]) continue;
    const variant = (v: number | undefined, label: string): Setting => {
      const range = { ...c } as Record<string, unknown>;
      if (v === undefined) delete range[key];
      else range[key] = v;
      return {
        name: `${candidate.name} ${key}=${label}`,
        params: { ...candidate.params, range: range as RangeParams },
      };
    };
    out.push(variant(b[key] as number | undefined, b[key] === undefined ? "off" : String(b[key])));
    for (const k of NEIGHBOURS) {
      const moved: number = Number.isInteger(value)
        ? Math.max(1, Math.round(value * k))
        : Number((value * k).toFixed(4));
      if (moved !== value) out.push(variant(moved, String(moved)));
    }
  }
  return out;
}

export async function benchDetectHeldout(): Promise<BenchRow[]> {
  const files = await loadCorpus(
    new URL("data", NAB_DIR).pathname,
    new URL("combined_windows.json", NAB_DIR).pathname,
  );
  const versions = listDetectorVersions();
  const [baseName, candName] = versions.slice(-2) as [string, string];
  const base: Setting = { name: baseName, params: loadDetectorParams(baseName) };
  const cand: Setting = { name: candName, params: loadDetectorParams(candName) };
  const rows: BenchRow[] = [];

  // 1. Both versions, whole slice and each half, every profile, fixed and swept threshold.
  const [even, odd] = splitHalves(files);
  const scopes: Array<[string, typeof files]> = [
    ["whole", files],
    ["even half", even],
    ["odd half", odd],
  ];
  for (const s of [base, cand]) {
    for (const [scope, fs] of scopes) {
      const r = scoreNab(fs, s.params);
      r.fixed.forEach((fixed, p) => {
        const swept = r.swept[p]!;
        rows.push(
          infoRow(
            `NAB ${s.name} ${scope} ${fixed.profile}: fixed θ=${fixed.threshold} (${fixed.tp}/${fixed.windows} windows, ${fixed.fp} FP) / swept θ=${swept.threshold} ${swept.score.toFixed(1)}`,
            Number(fixed.score.toFixed(1)),
            "score (fixed)",
          ),
        );
      });
    }
  }

  // 2. Which files the candidate changes, by half: a held-out half with no changed file tests nothing.
  const settings = neighbourhood(base, cand);
  const table = tabulate(files, settings);
  const order = files.map((f) => f.name);
  const evenIdx = even.map((f) => order.indexOf(f.name));
  const oddIdx = odd.map((f) => order.indexOf(f.name));
  const changed = changedFiles(table, 0, 1);
  for (const [label, idx] of [
    ["even", evenIdx],
    ["odd", oddIdx],
  ] as const) {
    const names = changed.filter((f) => idx.includes(f)).map((f) => files[f]!.name.split("/").pop());
    rows.push(
      infoRow(
        `files ${cand.name} alarms differently on, ${label} half: ${names.join(" ") || "none"}`,
        names.length,
        "files",
      ),
    );
  }

  // 3. The candidate's parameters chosen on one half, scored on the other (ties go to the base).
  for (const [label, design, test] of [
    ["even → odd", evenIdx, oddIdx],
    ["odd → even", oddIdx, evenIdx],
  ] as const) {
    const r = holdOut(table, design, test);
    rows.push(
      infoRow(
        `held out ${label}: chose "${r.chosen}" (${r.design.toFixed(1)} on its design half); test half ${r.test.toFixed(1)} vs ${base.name} ${r.baseTest.toFixed(1)}`,
        Number((r.test - r.baseTest).toFixed(2)),
        "gain on test half",
      ),
    );
  }
  // Leave one category out: chosen on the others, scored on it (a category with no window scores 0 either way).
  const categories = [...new Set(files.map((f) => f.name.split("/")[0]!))];
  for (const category of categories) {
    const test = files.flatMap((f, i) => (f.name.startsWith(`${category}/`) ? [i] : []));
    const design = files.flatMap((f, i) => (f.name.startsWith(`${category}/`) ? [] : [i]));
    const r = holdOut(table, design, test);
    rows.push(
      infoRow(
        `held out ${category} (${test.length} files): chose "${r.chosen}" on the rest; ${r.test.toFixed(1)} vs ${base.name} ${r.baseTest.toFixed(1)}`,
        Number((r.test - r.baseTest).toFixed(2)),
        "gain on held-out category",
      ),
    );
  }
  let win = 0;
  let tie = 0;
  let lose = 0;
  let gain = 0;
  for (let seed = 1; seed <= RANDOM_SPLITS; seed++) {
    const [a, b] = randomHalves(files.length, seed);
    const ways: Array<[number[], number[]]> = [
      [a, b],
      [b, a],
    ];
    for (const [design, test] of ways) {
      const r = holdOut(table, design, test);
      const g = r.test - r.baseTest;
      gain += g;
      if (g > 1e-9) win++;
      else if (g < -1e-9) lose++;
      else tie++;
    }
  }
  rows.push(
    infoRow(
      `held out, ${RANDOM_SPLITS} random halves both ways (${settings.length} settings): test half better / same / worse than ${base.name}: ${win} / ${tie} / ${lose}`,
      Number((gain / (2 * RANDOM_SPLITS)).toFixed(2)),
      "mean gain on test half",
    ),
  );

  // 4. Synthetic series NAB does not hold.
  for (const family of Object.keys(FAMILIES)) {
    const fa = falseAlarmsPerSeries(base.params, family);
    const fc = falseAlarmsPerSeries(cand.params, family);
    rows.push(
      infoRow(
        `synthetic "${family}", no anomaly: alarms per 4,250 points, ${base.name} ${fa.toFixed(2)} → ${cand.name}`,
        fc,
        "alarms",
      ),
    );
  }
  for (const anomaly of Object.keys(ANOMALIES)) {
    const families = Object.keys(FAMILIES);
    const share = (p: DetectorParams) =>
      families.reduce((s, f) => s + detectedShare(p, f, anomaly), 0) / families.length;
    rows.push(
      infoRow(
        `synthetic "${anomaly}" over ${families.length} families: detected within 100 points, ${base.name} ${(100 * share(base.params)).toFixed(0)} % → ${cand.name}`,
        Number((100 * share(cand.params)).toFixed(0)),
        "%",
      ),
    );
  }
  return rows;
}
