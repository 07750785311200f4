import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { prepareTemplateDb, runScenario, type RunOptions } from "./runScenario.ts";
import type { Scenario } from "./scenario.ts";
import { byTag, scoreRun, sectionsOf, summarise, type ScenarioScore, type Summary } from "./score.ts";
import type { FromWorker, ToWorker } from "./suiteWorker.ts";

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
  /** CPU time (user + system) of the run: this process's during it, and its worker processes' (when given). */
  cpuMs?: number;
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

/**
 * Processes the scenarios are spread over by default: one per CPU (at most 4), this one included. A run is
 * CPU-bound in the simulator and the agent, and one Node process uses one core; each process runs its share
 * `concurrency / processes` at a time. 1 runs everything in this process.
 */
export const DEFAULT_PROCESSES = Math.max(1, Math.min(4, availableParallelism()));

/** What runSuite takes besides the run options. */
export interface SuiteOptions extends RunOptions {
  filter?: string | undefined;
  /** Scenarios run side by side in all (default {@link DEFAULT_CONCURRENCY}). */
  concurrency?: number | undefined;
  /** Processes they are spread over (default {@link DEFAULT_PROCESSES}); never more than `concurrency`. */
  processes?: number | undefined;
}

/**
 * Run scenarios (each on its own AegisOps and environment, `concurrency` at a time, over `processes`
 * processes) and score them. The report lists them in file order whatever order they finished in.
 */
export async function runSuite(
  scenarios: readonly Scenario[],
  opts: SuiteOptions,
  onDone?: (score: ScenarioScore, index: number, total: number) => void,
): Promise<ScenarioReport> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let workersCpuMs = 0;
  const scores: ScenarioScore[] = new Array<ScenarioScore>(scenarios.length);
  const dir = mkdtempSync(join(tmpdir(), "aegis-eval-suite-"));
  try {
    const { filter: _filter, concurrency: _concurrency, processes: _processes, ...runOpts } = opts;
    const concurrency = Math.max(1, Math.min(opts.concurrency ?? DEFAULT_CONCURRENCY, scenarios.length));
    // A hold hook is a function of this process: it cannot be handed to a worker.
    const processes = runOpts.hold
      ? 1
      : Math.max(1, Math.min(opts.processes ?? DEFAULT_PROCESSES, concurrency));
    // The workers start (load their modules) while this process prepares the runbook database.
    const run = prepareTemplateDb(dir).then((templateDb): RunOptions => ({ ...runOpts, templateDb }));
    let done = 0;
    const record = (i: number, score: ScenarioScore) => {
      scores[i] = score;
      onDone?.(score, ++done, scenarios.length);
    };
    workersCpuMs = await runSpread(scenarios, run, concurrency, processes, record);
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
    cpuMs: Math.round(cpuMsSince(cpu0) + workersCpuMs),
    summary: summarise(scores),
    byTag: byTag(scores),
    ...(sections ? { sections } : {}),
    scenarios: scores,
  };
}

const WORKER_ENTRY = new URL("./suiteWorker.mjs", import.meta.url);

const cpuMsSince = (from: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(from);
  return (user + system) / 1000;
};

/**
 * Every scenario over `processes` processes: this one and `processes - 1` workers (suiteWorker.ts), each with
 * `concurrency / processes` slots, a free slot taking the next scenario in file order. A worker that dies fails
 * the scenarios it was running (their score says so) and a new one takes its place while scenarios are left.
 */
function runSpread(
  scenarios: readonly Scenario[],
  prepared: Promise<RunOptions>,
  concurrency: number,
  processes: number,
  record: (index: number, score: ScenarioScore) => void,
): Promise<number> {
  const slots = Math.ceil(concurrency / processes);
  let next = 0;
  let finished = 0;
  let restarts = 0;
  // The workers' CPU time, as each reports it when it ends; the run is over when every scenario is scored and
  // every worker has ended.
  let workersCpuMs = 0;
  let workers = 0;
  let run: RunOptions | undefined;
  let stopped = false;
  const gives: Array<() => void> = [];
  const children: ChildProcess[] = [];
  return new Promise<number>((resolve, reject) => {
    const settle = () => {
      if (finished === scenarios.length && workers === 0) resolve(workersCpuMs);
    };
    const finish = (index: number, score: ScenarioScore) => {
      finished++;
      record(index, score);
      settle();
    };
    const failed = (index: number, error: string) =>
      finish(
        index,
        scoreRun({
          scenario: scenarios[index]!,
          incidents: [],
          simTtrMs: null,
          wallMs: 0,
          offScript: 0,
          cassetteSource: null,
          error,
        }),
      );
    const lane = async (run: RunOptions) => {
      while (next < scenarios.length) {
        const index = next++;
        finish(index, scoreRun(await runScenario(scenarios[index]!, run)));
      }
    };
    const startWorker = () => {
      const inFlight = new Set<number>();
      workers++;
      const child = fork(WORKER_ENTRY, [], {
        serialization: "advanced",
        stdio: ["ignore", "ignore", "inherit", "ipc"],
      });
      children.push(child);
      let ready = false;
      const give = () => {
        if (!run || !ready) return;
        while (inFlight.size < slots && next < scenarios.length) {
          const index = next++;
          inFlight.add(index);
          child.send({ type: "run", index, scenario: scenarios[index]!, opts: run } satisfies ToWorker);
        }
        // Nothing left to give: the worker ends once its last score is in.
        if (inFlight.size === 0 && child.connected) child.send({ type: "end" } satisfies ToWorker);
      };
      // A worker that cannot start or be written to also exits; "exit" settles its scenarios.
      child.on("error", () => undefined);
      child.on("message", (msg: FromWorker) => {
        if (msg.type === "cpu") {
          workersCpuMs += msg.cpuMs;
          return;
        }
        if (msg.type === "ready") ready = true;
        if (msg.type === "done") {
          inFlight.delete(msg.index);
          finish(msg.index, msg.score);
        }
        give();
      });
      gives.push(give);
      child.once("exit", (code, signal) => {
        const lost = [...inFlight];
        inFlight.clear();
        const why = `the eval worker process exited (${signal ?? `code ${code}`}) while running this scenario`;
        for (const index of lost) failed(index, why);
        // A worker died with scenarios left: another takes its place, unless workers keep dying (this process
        // runs the rest then).
        if (!stopped && next < scenarios.length && restarts++ < processes * 3) startWorker();
        workers--;
        settle();
      });
    };
    for (let p = 1; p < processes; p++) startWorker();
    prepared.then(
      (r) => {
        run = r;
        for (const give of gives) give();
        for (let l = 0; l < slots; l++) void lane(r);
      },
      (err: unknown) => {
        stopped = true;
        for (const child of children) child.kill();
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
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
