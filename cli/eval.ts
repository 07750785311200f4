import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { Command, InvalidArgumentError, Option } from "commander";
import { loadConfig, type Config } from "../core/config.ts";
import { AegisError } from "../core/errors.ts";
import { silentLogger } from "../core/logger.ts";
import {
  BASELINE_DIR,
  compareReports,
  DEFAULT_MAX_FALLBACK_SHARE,
  fallbackShareProblem,
  markdownReport,
  missedGoals,
  readBaseline,
  regressions,
  sectionRows,
  summaryRows,
  toBaseline,
} from "../evals/harness/report.ts";
import type { RunOptions } from "../evals/harness/runScenario.ts";
import { filterScenarios, loadScenarios, SCENARIOS_DIR } from "../evals/harness/scenario.ts";
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_PROCESSES,
  progressPrinter,
  runSuite,
  subjectOf,
  type ScenarioReport,
} from "../evals/harness/suite.ts";
import {
  readQuerySet,
  readSeedIncidents,
  RETRIEVAL_DIR,
  scoreQuerySet,
  seedMemory,
  type RetrievalScore,
} from "../evals/retrieval/harness.ts";
import { openDatabase } from "../store/db.ts";
import { openMemory } from "../app/openMemory.ts";
import { formatTable } from "./formatTable.ts";

/**
 * The labelled retrieval sets, scored separately: ours; alert rules written by others; and queries written
 * by a helper who never saw the runbook texts (never tuned on).
 */
const RETRIEVAL_SETS = [
  { name: "developer", file: "queries.json" },
  { name: "external", file: "external-queries.json" },
  { name: "blind", file: "blind-queries.json" },
] as const;

/** The retrieval suite's result; the scenario suite's is a ScenarioReport, detector scores can join later. */
export interface SuiteResult {
  suite: string;
  /** The embedder the figures were measured with. */
  subject: string;
  sets: RetrievalScore[];
}

const REPORTS_DIR = new URL("../evals/reports/", import.meta.url).pathname;

/** Score runbook-memory retrieval on a fresh in-memory database (never the user's AEGIS_DB). */
export async function runRetrievalSuite(config: Readonly<Config>, dir = RETRIEVAL_DIR): Promise<SuiteResult> {
  const db = openDatabase(":memory:");
  try {
    const { memory, problems } = await openMemory(config, db, silentLogger(), {
      runbooksDir: config.runbooksDir,
    });
    if (problems.length > 0) {
      throw new AegisError(
        "config_invalid",
        `runbooks did not load: ${problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join("; ")}`,
      );
    }
    await seedMemory(memory, readSeedIncidents(join(dir, "incidents.json")));
    const sets: RetrievalScore[] = [];
    for (const s of RETRIEVAL_SETS)
      sets.push(await scoreQuerySet(memory, s.name, readQuerySet(join(dir, s.file))));
    return { suite: "retrieval", subject: memory.embedder.id, sets };
  } finally {
    db.close();
  }
}

interface EvalOptions {
  scenarios?: boolean;
  retrieval?: boolean;
  planner: "heuristic" | "llm";
  model?: string;
  record?: boolean;
  replay?: boolean;
  filter?: string;
  dir?: string;
  concurrency?: number;
  processes?: number;
  simTls?: boolean;
  hold?: boolean;
  compare?: string[];
  out?: string;
  baseline?: string;
  updateBaseline?: boolean;
  verbose?: boolean;
  json?: boolean;
  maxFallbackShare: number;
  cassetteSource?: "real_model" | "local_server" | "synthetic";
}

function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError(`expected a fraction between 0 and 1, got "${value}"`);
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a whole number ≥ 1, got "${value}"`);
  return n;
}

/** `aegis eval`: score AegisOps on the scenario suite and the labelled retrieval sets. */
export function evalCommand(): Command {
  return new Command("eval")
    .description(
      "score AegisOps: the remediation scenario suite (evals/scenarios) and runbook retrieval (evals/retrieval)",
    )
    .option("--scenarios", "only the scenario suite")
    .option("--retrieval", "only runbook-memory retrieval: recall@1, recall@3 and MRR per query set")
    .addOption(
      new Option("--planner <name>", "planner to score on the scenarios")
        .choices(["heuristic", "llm"])
        .default("heuristic"),
    )
    .option("--model <model@prompt>", "llm planner: model and prompt version (default: AEGIS_MODEL)")
    .option("--replay", "llm planner: answer from the recorded cassettes, no network (the default)")
    .option(
      "--record",
      "llm planner: call the real model (OPENAI_API_KEY) and record its answers as cassettes",
    )
    .addOption(
      new Option(
        "--cassette-source <source>",
        "llm planner, --record: what the recordings are stamped as (default: real_model for api.openai.com, local_server for any other OPENAI_BASE_URL)",
      ).choices(["real_model", "local_server", "synthetic"]),
    )
    .option("--filter <tags>", "only scenarios with one of these tags, families or ids (comma-separated)")
    .option("--dir <dir>", "scenario files to run instead of the bundled suite (same schema)")
    .option(
      "--concurrency <n>",
      `scenarios run side by side (default ${DEFAULT_CONCURRENCY}; scores do not depend on it)`,
      positiveInt,
    )
    .option(
      "--processes <n>",
      `processes the scenarios are spread over, one core each (default ${DEFAULT_PROCESSES}, the CPU count up to 4; 1 runs them all in this process)`,
      positiveInt,
    )
    .option(
      "--sim-tls",
      "Kubernetes scenarios: the simulated clusters serve HTTPS with their own certificate (plain HTTP by default), so kubectl can be pointed at them",
    )
    .option(
      "--hold",
      "after each Kubernetes scenario, keep its clusters up (clock stopped) and wait for Enter, printing a kubeconfig for kubectl (implies --sim-tls, one scenario at a time)",
    )
    .option(
      "--compare <subjects...>",
      "two subjects side by side, each heuristic, a model@prompt (llm planner) or a report .json",
    )
    .option("--out <dir>", "where the Markdown and JSON reports go (default: evals/reports/)")
    .option("--baseline <file>", "baseline to compare with (default: evals/baseline/<subject>.json)")
    .option("--update-baseline", "write this run as the new baseline (whole suite only)")
    .option("--verbose", "also list the retrieval queries whose right answer was not ranked first")
    .option(
      "--max-fallback-share <fraction>",
      "llm planner: fail when more than this share of decisions came from the fallback planner",
      fraction,
      DEFAULT_MAX_FALLBACK_SHARE,
    )
    .option("--json", "print JSON on stdout: the summary and per-scenario results of each suite")
    .addHelpText(
      "after",
      "\nExit status: 0 when nothing regressed against the baseline, 1 on a regression or (llm planner) a\n" +
        "fallback share above --max-fallback-share, 2 on bad input.\n" +
        "Examples:\n  aegis eval --scenarios --filter kafka_lag\n  aegis eval --planner llm --replay --model gpt-4o-mini@v1\n" +
        "  aegis eval --compare heuristic gpt-4o-mini@v1\n",
    )
    .action(async (opts: EvalOptions) => {
      const config = loadConfig();
      if (opts.record && opts.replay)
        throw new AegisError("config_invalid", "--record and --replay exclude each other");
      if (opts.record && !config.openai.apiKey)
        throw new AegisError(
          "config_invalid",
          "--record calls the real model: set OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible server)",
        );
      const model = opts.model ?? `${config.openai.model}@${config.openai.promptVersion}`;
      const base: RunOptions = {
        planner: opts.planner,
        model,
        cassetteMode: opts.record ? "record" : "replay",
        openai: { apiKey: config.openai.apiKey, baseUrl: config.openai.baseUrl },
        ...(opts.cassetteSource ? { cassetteSource: opts.cassetteSource } : {}),
        ...(opts.simTls || opts.hold ? { simTls: true } : {}),
        ...(opts.hold ? { hold: holdForKubectl } : {}),
      };
      if (opts.compare) {
        if (opts.compare.length !== 2)
          throw new AegisError("config_invalid", `--compare takes two subjects, got ${opts.compare.length}`);
        return compare(opts, base);
      }

      const results: unknown[] = [];
      let failed = false;
      if (!opts.retrieval || opts.scenarios) {
        const report = await scenarioSuite(opts, base);
        const outcome = judge(report, opts);
        failed = outcome.regressed.length > 0 || outcome.fallback !== null;
        writeReports(report, outcome.regressed, opts.out ?? REPORTS_DIR);
        if (opts.json)
          results.push({
            ...report,
            regressions: outcome.regressed,
            missedGoals: outcome.missed,
            fallbackShareProblem: outcome.fallback,
          });
        else printScenarioReport(report, outcome);
      }
      if (!opts.scenarios || opts.retrieval) {
        const r = await runRetrievalSuite(config);
        if (opts.json)
          results.push({
            ...r,
            sets: r.sets.map((s) => (opts.verbose ? s : { ...s, misses: s.misses.length })),
          });
        else printRetrieval(r, opts.verbose === true);
      }
      if (opts.json) process.stdout.write(JSON.stringify(results, null, 2) + "\n");
      if (failed) process.exitCode = 1;
    });
}

/**
 * `--hold`: writes the finished scenario's kubeconfig (admin token, one context per cluster) to a private
 * directory, says how to point kubectl at it, and waits for Enter on stdin before the clusters stop.
 */
async function holdForKubectl(held: { scenario: { id: string }; kubeconfig: string }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "aegis-eval-hold-"));
  const file = join(dir, `${held.scenario.id}.kubeconfig`);
  writeFileSync(file, held.kubeconfig, { mode: 0o600 });
  process.stderr.write(
    `\n${held.scenario.id}: finished; its simulated clusters stay up (their clock stopped) until you press Enter.\n` +
      `  kubectl --kubeconfig ${file} get pods -A\n`,
  );
  try {
    await new Promise<void>((resolve) => {
      const lines = createInterface({ input: process.stdin });
      const done = () => {
        lines.close();
        resolve();
      };
      lines.once("line", done);
      lines.once("close", resolve);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function scenarioSuite(opts: EvalOptions, run: RunOptions): Promise<ScenarioReport> {
  const dir = opts.dir ? resolve(opts.dir) : SCENARIOS_DIR;
  if (!existsSync(dir)) throw new AegisError("config_invalid", `--dir ${opts.dir}: no such directory`);
  const scenarios = filterScenarios(loadScenarios(dir), opts.filter);
  if (scenarios.length === 0) {
    throw new AegisError(
      "config_invalid",
      `no scenario in ${dir}${opts.filter ? ` matches --filter ${opts.filter}` : ""}`,
    );
  }
  const progress = progressPrinter(process.stderr, subjectOf(run));
  return runSuite(
    scenarios,
    {
      ...run,
      filter: opts.filter,
      // --hold waits on stdin after each scenario: one at a time.
      concurrency: opts.hold ? 1 : opts.concurrency,
      processes: opts.processes,
    },
    (s, i, n) => progress.onDone(s, i, n),
  );
}

/** Compare with the baseline (and write a new one when asked). */
function judge(
  report: ScenarioReport,
  opts: EvalOptions,
): { regressed: string[]; missed: string[]; baseline: string | null; fallback: string | null } {
  const file =
    opts.baseline ?? join(BASELINE_DIR, `${report.subject.replace(/[^A-Za-z0-9._@-]/g, "_")}.json`);
  const wholeSuite = report.filter === null && !opts.dir;
  if (opts.updateBaseline) {
    if (!wholeSuite)
      throw new AegisError("config_invalid", "--update-baseline needs a run of the whole bundled suite");
    mkdirSync(BASELINE_DIR, { recursive: true });
    writeFileSync(file, JSON.stringify(toBaseline(report), null, 2) + "\n");
  }
  const baseline = opts.dir ? null : readBaseline(file);
  return {
    regressed: baseline ? regressions(report, baseline) : [],
    missed: wholeSuite || opts.dir ? missedGoals(report) : [],
    baseline: baseline ? file : null,
    fallback: fallbackShareProblem(report.summary, opts.maxFallbackShare),
  };
}

function writeReports(report: ScenarioReport, regressed: string[], out: string): void {
  mkdirSync(out, { recursive: true });
  const name = `latest-${report.subject.replace(/[^A-Za-z0-9._@-]/g, "_")}`;
  writeFileSync(join(out, `${name}.json`), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(join(out, `${name}.md`), markdownReport(report, regressed));
  process.stderr.write(`reports: ${join(out, name)}.{md,json}\n`);
}

function printScenarioReport(
  r: ScenarioReport,
  outcome: { regressed: string[]; missed: string[]; baseline: string | null; fallback: string | null },
): void {
  const w = (s: string) => process.stdout.write(s + "\n");
  const cpu = r.cpuMs !== undefined ? `, ${(r.cpuMs / 1000).toFixed(1)} s CPU` : "";
  w(`scenarios (${r.subject}), ${(r.durationMs / 1000).toFixed(1)} s${cpu}`);
  w(formatTable(["figure", "value"], summaryRows(r.summary)));
  if (r.sections) {
    w("");
    w("own scenarios and peers' cases (tag peers: converted from other projects' suites, held out)");
    w(formatTable(["figure", "own", "peers"], sectionRows(r.sections)));
  }
  const failing = r.scenarios.filter((s) => !s.pass);
  if (failing.length > 0) {
    w("");
    w(
      formatTable(
        ["failed scenario", "action", "why"],
        failing.map((s) => [s.id, s.action, s.why.join("; ")]),
      ),
    );
  }
  w("");
  if (outcome.missed.length > 0) w(`goals missed: ${outcome.missed.join("; ")}`);
  if (outcome.fallback) w(`FAILED: ${outcome.fallback}`);
  if (outcome.baseline) {
    w(
      outcome.regressed.length === 0
        ? `no regression against ${outcome.baseline}`
        : `REGRESSIONS against ${outcome.baseline}:`,
    );
    for (const x of outcome.regressed) w(`  ${x}`);
  } else {
    w("no baseline to compare with");
  }
}

function printRetrieval(r: SuiteResult, verbose: boolean): void {
  process.stdout.write(`retrieval (${r.subject})\n`);
  process.stdout.write(
    formatTable(
      ["set", "queries", "recall@1", "recall@3", "MRR"],
      r.sets.map((s) => [s.set, String(s.queries), fmt(s.recallAt1), fmt(s.recallAt3), fmt(s.mrr)]),
    ) + "\n",
  );
  if (!verbose) return;
  for (const s of r.sets) {
    for (const m of s.misses) {
      process.stdout.write(
        `  ${s.set} ${m.id}: expected ${m.expect}, ranked ${m.rank ?? "not in top 10"}; top: ${m.top.join(", ")}\n`,
      );
    }
  }
}

/** `--compare A B`: each side is a report file, `heuristic`, or a model@prompt for the llm planner. */
async function compare(opts: EvalOptions, base: RunOptions): Promise<void> {
  const side = async (arg: string): Promise<ScenarioReport> => {
    if (arg.endsWith(".json")) {
      if (!existsSync(arg)) throw new AegisError("config_invalid", `--compare: ${arg}: no such report`);
      return JSON.parse(readFileSync(arg, "utf8")) as ScenarioReport;
    }
    const run: RunOptions =
      arg === "heuristic" ? { ...base, planner: "heuristic" } : { ...base, planner: "llm", model: arg };
    return scenarioSuite(opts, run);
  };
  const [first, second] = opts.compare as [string, string];
  const a = await side(first);
  const b = await side(second);
  const { rows, differing } = compareReports(a, b);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ a, b, differing }, null, 2) + "\n");
    return;
  }
  process.stdout.write(formatTable(["figure", a.subject, b.subject], rows) + "\n\n");
  process.stdout.write(
    differing.length === 0
      ? "every scenario ended the same way\n"
      : formatTable(["scenario", a.subject, b.subject], differing) + "\n",
  );
}

const fmt = (n: number) => n.toFixed(3);
