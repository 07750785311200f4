import { describe, expect, it } from "vitest";
import type { RunOptions } from "../../evals/harness/runScenario.ts";
import { loadScenarios } from "../../evals/harness/scenario.ts";
import type { ScenarioScore } from "../../evals/harness/score.ts";
import { runSuite } from "../../evals/harness/suite.ts";

const HEURISTIC: RunOptions = {
  planner: "heuristic",
  model: "gpt-4o-mini@v1",
  cassetteMode: "replay",
  openai: { apiKey: undefined, baseUrl: undefined },
};

/**
 * What a scenario's outcome is: everything but the real time it took and the rationale's words (which quote
 * log lines stamped with the machine's clock). Simulated time moves only with the agent's own waits, so even
 * the time to recovery is the same.
 */
const outcome = (s: ScenarioScore) => ({
  id: s.id,
  action: s.action,
  target: s.target,
  simTtrMs: s.simTtrMs,
  steps: s.steps,
  status: s.status,
  actionCorrect: s.actionCorrect,
  rootCauseCorrect: s.rootCauseCorrect,
  recovered: s.recovered,
  pass: s.pass,
  why: s.why,
});

describe("a suite spread over several processes", () => {
  it("scores every scenario as one process does, reported in file order", async () => {
    // Docker and Kubernetes scenarios, a control among them: small enough for a test, different enough to
    // finish out of order.
    const all = loadScenarios();
    const pick = [
      ...all.filter((s) => s.environment.kind === "docker").slice(0, 3),
      ...all.filter((s) => s.environment.kind === "kubernetes" && !s.control).slice(0, 2),
      ...all.filter((s) => s.environment.kind === "kubernetes" && s.control).slice(0, 1),
    ];
    const done: number[] = [];
    const spread = await runSuite(pick, { ...HEURISTIC, concurrency: 4, processes: 2 }, (_s, n) =>
      done.push(n),
    );
    const here = await runSuite(pick, { ...HEURISTIC, concurrency: 2, processes: 1 });
    expect(spread.scenarios.map((s) => s.id)).toEqual(pick.map((s) => s.id));
    expect(done).toEqual([1, 2, 3, 4, 5, 6]);
    expect(spread.scenarios.map(outcome)).toEqual(here.scenarios.map(outcome));
    expect(spread.summary.errors).toBe(0);
    expect(spread.summary).toEqual(here.summary);
  }, 300_000);
});
