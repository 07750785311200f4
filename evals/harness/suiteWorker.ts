/**
 * One process of a suite run on several cores (see runSuite's `processes`): it runs the scenarios its parent
 * sends it, `slots` at a time, each on its own AegisOps and environment exactly as in the parent, and sends
 * each score back. Started by suiteWorker.mjs (which loads TypeScript in a source checkout).
 */
import { runScenario, type RunOptions } from "./runScenario.ts";
import type { Scenario } from "./scenario.ts";
import { scoreRun, type ScenarioScore } from "./score.ts";

/** What the parent sends: a scenario to run (its index in the suite), or the end of the work. */
export type ToWorker = { type: "run"; index: number; scenario: Scenario; opts: RunOptions } | { type: "end" };
/** What the worker sends back: ready for work, one scenario's score, or (last) the CPU time it used. */
export type FromWorker =
  { type: "ready" } | { type: "done"; index: number; score: ScenarioScore } | { type: "cpu"; cpuMs: number };

const send = (msg: FromWorker) => process.send!(msg);

process.on("message", (msg: ToWorker) => {
  if (msg.type === "end") {
    const { user, system } = process.cpuUsage();
    process.send!({ type: "cpu", cpuMs: Math.round((user + system) / 1000) } satisfies FromWorker, () =>
      process.disconnect(),
    );
    return;
  }
  void runScenario(msg.scenario, msg.opts).then((run) =>
    send({ type: "done", index: msg.index, score: scoreRun(run) }),
  );
});
send({ type: "ready" });
