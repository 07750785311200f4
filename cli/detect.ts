import { readFile } from "node:fs/promises";
import { Command } from "commander";
import { AegisError } from "../core/errors.ts";
import { parseSeriesCsv } from "../detect/csv.ts";
import { StreamingDetector } from "../detect/detector.ts";
import { loadCorpus } from "../detect/nab/corpus.ts";
import { scoreNab, type NabReport } from "../detect/nab/run.ts";
import { DEFAULT_DETECTOR_VERSION, loadDetectorParams } from "../detect/versions.ts";

interface DetectOptions {
  nab?: string;
  windows?: string;
  detectorVersion: string;
  threshold?: string;
  json?: boolean;
}

/** `aegis detect`: score one series (CSV) or a NAB-style corpus with the streaming detector. */
export function detectCommand(): Command {
  return new Command("detect")
    .description(
      "anomaly scores of a series: prints timestamp,value,anomaly_score,alarm (NAB's format plus the product's alarm); " +
        "with --nab DIR --windows FILE scores a labelled corpus under NAB's three profiles",
    )
    .argument("[file]", "CSV of timestamp,value (a header line is optional)")
    .option("--nab <dir>", "folder of a NAB-style corpus (the file names in --windows are relative to it)")
    .option("--windows <file>", 'labelled windows: {"<category>/<name>.csv": [[start, end], ...]}')
    .option(
      "--detector-version <v>",
      "detector parameters (detect/versions/<v>.json)",
      DEFAULT_DETECTOR_VERSION,
    )
    .option("--threshold <t>", "alarm threshold in (0, 1]; the version's own when absent")
    .option("--json", "print JSON (the corpus report, or one object per row)")
    .action(async (file: string | undefined, opts: DetectOptions) => {
      const params = { ...loadDetectorParams(opts.detectorVersion) };
      if (opts.threshold !== undefined) {
        const t = Number(opts.threshold);
        if (!(t > 0 && t <= 1))
          throw new AegisError("input_invalid", `--threshold must be in (0, 1], got ${opts.threshold}`);
        params.threshold = t;
      }
      if (opts.nab !== undefined || opts.windows !== undefined) {
        if (opts.nab === undefined || opts.windows === undefined) {
          throw new AegisError("input_invalid", "--nab DIR and --windows FILE go together");
        }
        const report = scoreNab(await loadCorpus(opts.nab, opts.windows), params);
        process.stdout.write(
          opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, opts.detectorVersion),
        );
        return;
      }
      if (file === undefined)
        throw new AegisError("input_invalid", "name a CSV file, or --nab DIR --windows FILE");
      const points = parseSeriesCsv(await readFile(file, "utf8"), file);
      const detector = new StreamingDetector(params);
      const out: string[] = opts.json ? [] : ["timestamp,value,anomaly_score,alarm"];
      for (const p of points) {
        const score = detector.update(p.t, p.value);
        const alarm = score >= params.threshold ? 1 : 0;
        out.push(
          opts.json
            ? JSON.stringify({
                timestamp: p.stamp,
                value: p.value,
                anomaly_score: score,
                alarm,
                contributions: detector.contributions(),
              })
            : `${p.stamp},${p.value},${round(score)},${alarm}`,
        );
      }
      process.stdout.write(`${out.join("\n")}\n`);
    });
}

function round(x: number): string {
  return x === 0 ? "0" : x.toFixed(4);
}

function formatReport(r: NabReport, version: string): string {
  const lines = [
    `NAB scoring: ${r.files} files, ${r.windows} windows, ${r.points} points; detector ${version}`,
    "profile          fixed θ  score   TP  FN   FP |  swept θ  score   TP  FN   FP",
  ];
  for (let i = 0; i < r.fixed.length; i++) {
    const f = r.fixed[i]!;
    const s = r.swept[i]!;
    lines.push(
      `${f.profile.padEnd(16)} ${f.threshold.toFixed(3).padStart(7)} ${f.score.toFixed(1).padStart(6)} ${pad(f.tp)} ${pad(f.fn)} ${pad(f.fp, 4)} | ` +
        `${s.threshold.toFixed(3).padStart(8)} ${s.score.toFixed(1).padStart(6)} ${pad(s.tp)} ${pad(s.fn)} ${pad(s.fp, 4)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function pad(n: number, w = 3): string {
  return String(n).padStart(w);
}
