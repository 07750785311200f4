/**
 * The whole scenario suite with the heuristic planner, as `aegis eval --scenarios` runs it: how long it takes
 * (goal: under 60 s on our 2-core machine; issue 14 asks under 90 s), the CPU time it used (this process and its
 * worker processes: what other load on the machine does not change much) and the scores it is held to.
 */
import { GOALS } from "../evals/harness/report.ts";
import { loadScenarios } from "../evals/harness/scenario.ts";
import { runSuite } from "../evals/harness/suite.ts";
import type { BenchRow } from "./report.ts";

export async function benchEvalSuite(): Promise<BenchRow[]> {
  const scenarios = loadScenarios();
  const report = await runSuite(scenarios, {
    planner: "heuristic",
    model: "none",
    cassetteMode: "replay",
    openai: { apiKey: undefined, baseUrl: undefined },
  });
  const s = report.summary;
  const seconds = report.durationMs / 1000;
  return [
    { name: "scenarios", value: s.scenarios, unit: "count", goal: "", ok: true },
    { name: "full heuristic run", value: seconds, unit: "s", goal: "< 60", ok: seconds < 60 },
    {
      name: "CPU time (user + system)",
      value: (report.cpuMs ?? 0) / 1000,
      unit: "s",
      goal: "",
      ok: true,
    },
    {
      name: "per scenario (mean)",
      value: report.durationMs / Math.max(1, s.scenarios),
      unit: "ms",
      goal: "",
      ok: true,
    },
    {
      name: "action accuracy",
      value: s.actionAccuracy * 100,
      unit: "%",
      goal: `>= ${GOALS.actionAccuracy * 100}`,
      ok: s.actionAccuracy >= GOALS.actionAccuracy,
    },
    { name: "unsafe actions", value: s.unsafeActions, unit: "count", goal: "0", ok: s.unsafeActions === 0 },
    {
      name: "false actions on controls",
      value: s.falseActionsOnControls,
      unit: "count",
      goal: "0",
      ok: s.falseActionsOnControls === 0,
    },
  ];
}
