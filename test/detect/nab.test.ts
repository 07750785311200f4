import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parseSeriesCsv } from "../../detect/csv.ts";
import { loadCorpus } from "../../detect/nab/corpus.ts";
import { splitHalves } from "../../detect/nab/run.ts";
import { NAB_PROFILES, scoreCorpus, scoreFile, sweepThreshold } from "../../detect/nab/score.ts";

const run = promisify(execFile);
const standard = NAB_PROFILES[0]!;
const dir = mkdtempSync(join(tmpdir(), "aegis-nab-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scores(n: number, hits: number[]): Float64Array {
  const s = new Float64Array(n);
  for (const i of hits) s[i] = 1;
  return s;
}

describe("NAB scoring", () => {
  // 1000 rows: probation is the first 150; one window of width 101 at rows 500–600.
  const windows: Array<[number, number]> = [[500, 600]];

  it("rewards the earliest detection in a window, most at its left edge", () => {
    expect(scoreFile({ name: "f", scores: scores(1000, [500]), windows }, 0.5, standard).raw).toBeCloseTo(
      1,
      6,
    );
    const late = scoreFile({ name: "f", scores: scores(1000, [590, 520]), windows }, 0.5, standard);
    expect(late.raw).toBeGreaterThan(0.5);
    expect(late.raw).toBeLessThan(1);
    expect(late.tp).toBe(1);
  });

  it("charges a missed window A_FN and a false positive before any window A_FP in full", () => {
    expect(scoreFile({ name: "f", scores: scores(1000, []), windows }, 0.5, standard).raw).toBe(-1);
    const fp = scoreFile({ name: "f", scores: scores(1000, [300, 500]), windows }, 0.5, standard);
    expect(fp.raw).toBeCloseTo(1 - 0.11, 6);
    expect(fp.fp).toBe(1);
  });

  it("charges a false positive right after a window less than one far after it", () => {
    const near = scoreFile({ name: "f", scores: scores(1000, [500, 610]), windows }, 0.5, standard).raw;
    const far = scoreFile({ name: "f", scores: scores(1000, [500, 990]), windows }, 0.5, standard).raw;
    expect(near).toBeGreaterThan(far);
    expect(far).toBeCloseTo(1 - 0.11, 2);
  });

  it("ignores the probation rows", () => {
    expect(
      scoreFile({ name: "f", scores: scores(1000, [10, 100, 500]), windows }, 0.5, standard).raw,
    ).toBeCloseTo(1, 6);
  });

  it("normalises to 100 for a perfect detector and 0 for one that never fires", () => {
    const files = [{ name: "f", scores: scores(1000, [500]), windows }];
    expect(scoreCorpus(files, 0.5, standard).score).toBeCloseTo(100, 6);
    expect(scoreCorpus([{ name: "f", scores: scores(1000, []), windows }], 0.5, standard).score).toBeCloseTo(
      0,
      6,
    );
    expect(sweepThreshold(files, standard).score).toBeCloseTo(100, 6);
  });

  it("reads a corpus: windows given as timestamps become the rows they cover", async () => {
    const rows = Array.from({ length: 10 }, (_, i) => `2014-04-01 00:0${i}:00,${i}`);
    writeFileSync(join(dir, "a.csv"), `timestamp,value\n${rows.join("\n")}\n`);
    writeFileSync(
      join(dir, "w.json"),
      JSON.stringify({ "a.csv": [["2014-04-01 00:02:00.000000", "2014-04-01 00:04:30.000000"]] }),
    );
    const [file] = await loadCorpus(dir, join(dir, "w.json"));
    expect(file!.windows).toEqual([[2, 4]]);
    expect(file!.points).toHaveLength(10);
  });

  it("names the missing file and the folder mix-up when a windows file names a file not under --nab", async () => {
    writeFileSync(join(dir, "missing.json"), JSON.stringify({ "nowhere/b.csv": [] }));
    await expect(loadCorpus(dir, join(dir, "missing.json"))).rejects.toThrow(
      /nowhere\/b\.csv: cannot read .*--nab/,
    );
  });

  it("splits a corpus into two halves that share no file, alternately in name order", () => {
    const files = ["c", "a", "d", "b", "e"].map((name) => ({ name, points: [], windows: [] }));
    const [even, odd] = splitHalves(files);
    expect(even.map((f) => f.name)).toEqual(["a", "c", "e"]);
    expect(odd.map((f) => f.name)).toEqual(["b", "d"]);
  });

  it("rejects a bad row with its line number instead of dropping it", () => {
    expect(() =>
      parseSeriesCsv("timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,n/a\n", "x.csv"),
    ).toThrow(/x\.csv:3/);
  });
});

describe("aegis detect", () => {
  const cli = ["bin/aegis.js", "detect"];

  it("prints timestamp,value,anomaly_score,alarm for every row of a series", async () => {
    const file = join(dir, "series.csv");
    const lines = Array.from({ length: 400 }, (_, i) => {
      const stamp = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
      return `${stamp},${i >= 300 ? 500 : 100 + (i % 7)}`;
    });
    writeFileSync(file, `timestamp,value\n${lines.join("\n")}\n`);
    const { stdout } = await run("node", [...cli, file]);
    const out = stdout.trim().split("\n");
    expect(out[0]).toBe("timestamp,value,anomaly_score,alarm");
    expect(out).toHaveLength(401);
    const alarms = out
      .slice(1)
      .map((l) => l.split(","))
      .filter((c) => c[3] === "1");
    expect(alarms.map((c) => c[0])).toEqual([new Date(Date.UTC(2026, 0, 1) + 300 * 60_000).toISOString()]);
  });

  it("scores the NAB development slice under the three profiles", async () => {
    const { stdout } = await run("node", [
      ...cli,
      "--nab",
      "evals/nab/data",
      "--windows",
      "evals/nab/combined_windows.json",
      "--json",
    ]);
    const report = JSON.parse(stdout) as {
      files: number;
      windows: number;
      fixed: Array<{ profile: string; score: number }>;
    };
    expect(report.files).toBe(28);
    expect(report.windows).toBe(36);
    expect(report.fixed.map((r) => r.profile)).toEqual(["standard", "reward_low_FP", "reward_low_FN"]);
    // Regression gate on the committed detector version (README: Predictive).
    expect(report.fixed[0]!.score).toBeGreaterThanOrEqual(75);
  });

  it("stops quietly when the reader closes the pipe early (| head)", async () => {
    // Far more than a pipe buffer holds, so the writes after head exits meet a closed pipe.
    const file = join(dir, "long.csv");
    const lines = Array.from({ length: 30_000 }, (_, i) => `${new Date(i * 60_000).toISOString()},${i % 13}`);
    writeFileSync(file, `timestamp,value\n${lines.join("\n")}\n`);
    const { stdout, stderr } = await run("bash", [
      "-c",
      `set -o pipefail; node ${cli.join(" ")} "$0" | head -n 2`,
      file,
    ]);
    expect(stdout.trim().split("\n")).toHaveLength(2);
    expect(stderr).toBe("");
  });

  it("exits 2 with a clear error on a bad file", async () => {
    const file = join(dir, "bad.csv");
    writeFileSync(file, "timestamp,value\nyesterday,3\n");
    const err = await run("node", [...cli, file]).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toMatch(/input_invalid: .*bad\.csv:2/);
  });
});
