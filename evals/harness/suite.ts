import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { prepareTemplateDb, runScenario, type RunOptions } from "./runScenario.ts";
import type { Scenario } from "./scenario.ts";
import { byTag, scoreRun, sectionsOf, summarise, type ScenarioScore, type Summary } from "./score.ts";

/** A scored run of the scenario suite: what `--json` prints and the JSON report holds. */
export interface ScenarioReport {
  suite: "scenarios";
  /** `heuristic`, or `llm:<model@prompt>`. */
  subject: string;
  planner: RunOptions["planner"];
  model: string | null;
  cassetteMode: RunOptions["cassetteMode"] | null;
  filter: string | null;
  startedAt: string;
  durationMs: number;
  summary: Summary;
  byTag: Record<string, Summary>;
  /** The suite's own scenarios and the peers' cases summarised apart (absent when no peer case ran). */
  sections?: { own: Summary; peers: Summary };
  scenarios: ScenarioScore[];
}

export const subjectOf = (opts: Pick<RunOptions, "planner" | "model">) =>
  opts.planner === "llm" ? `llm:${opts.model}` : "heuristic";

/**
 * Scenarios run at once by default. Each has its own AegisOps, database and cluster, and a cluster's clock
 * stands still while its agent reads it, so running several side by side changes no score, only the wall time.
 */
export const DEFAULT_CONCURRENCY = Math.max(1, Math.min(4, availableParallelism() * 2));

/** Run scenarios (each on its own AegisOps and environment, `concurrency` at a time) and score them, in file order. */
export async function runSuite(
  scenarios: readonly Scenario[],
  opts: RunOptions & { filter?: string | undefined; concurrency?: number | undefined },
  onDone?: (score: ScenarioScore, index: number, total: number) => void,
): Promise<ScenarioReport> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const scores: ScenarioScore[] = new Array<ScenarioScore>(scenarios.length);
  const dir = mkdtempSync(join(tmpdir(), "aegis-eval-suite-"));
  try {
    const templateDb = await prepareTemplateDb(dir);
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < scenarios.length) {
        const i = next++;
        const score = scoreRun(await runScenario(scenarios[i]!, { ...opts, templateDb }));
        scores[i] = score;
        onDone?.(score, ++done, scenarios.length);
      }
    };
    const n = Math.max(1, Math.min(opts.concurrency ?? DEFAULT_CONCURRENCY, scenarios.length));
    await Promise.all(Array.from({ length: n }, worker));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const sections = sectionsOf(scores);
  return {
    suite: "scenarios",
    subject: subjectOf(opts),
    planner: opts.planner,
    model: opts.planner === "llm" ? opts.model : null,
    cassetteMode: opts.planner === "llm" ? opts.cassetteMode : null,
    filter: opts.filter ?? null,
    startedAt,
    durationMs: Math.round(performance.now() - t0),
    summary: summarise(scores),
    byTag: byTag(scores),
    ...(sections ? { sections } : {}),
    scenarios: scores,
  };
}

/** A one-line progress bar for a terminal; one plain line per scenario otherwise (CI logs). */
export function progressPrinter(stream: NodeJS.WriteStream, label: string) {
  const tty = stream.isTTY === true;
  return {
    onDone(score: ScenarioScore, done: number, total: number) {
      const mark = score.pass ? "ok  " : "FAIL";
      if (tty) {
        const width = 24;
        const filled = Math.round((done / total) * width);
        const bar = `${"#".repeat(filled)}${".".repeat(width - filled)}`;
        stream.write(`\r\x1b[2K${label} [${bar}] ${done}/${total} ${mark} ${score.id}`);
        if (done === total) stream.write("\n");
      } else {
        stream.write(
          `${label} ${done}/${total} ${mark} ${score.id}${score.pass ? "" : `: ${score.why.join("; ")}`}\n`,
        );
      }
    },
  };
}
