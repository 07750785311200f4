import { describe, expect, it } from "vitest";
import { readBaseline, regressions, BASELINE_DIR } from "../../evals/harness/report.ts";
import { runScenario, type RunOptions } from "../../evals/harness/runScenario.ts";
import { loadScenarios, parseScenario } from "../../evals/harness/scenario.ts";
import { scoreRun } from "../../evals/harness/score.ts";
import { runSuite } from "../../evals/harness/suite.ts";

const HEURISTIC: RunOptions = {
  planner: "heuristic",
  model: "gpt-4o-mini@v1",
  cassetteMode: "replay",
  openai: { apiKey: undefined, baseUrl: undefined },
};

const dockerScenario = (extra: string) =>
  parseScenario(
    `id: t
description: d
family: hung_service
environment:
  kind: docker
  container: web
  before: hung
${extra}`,
    "test.yaml",
  );

describe("eval harness on real AegisOps runs", () => {
  it("an action that does not heal shows up as a service that did not recover", async () => {
    // The recorded container stays hung whatever is sent: no `after` recording.
    const s = dockerScenario(`notifications:
  - alerts: [{ labels: { alertname: ServiceUnhealthy, container: web } }]
expect: { actions: [kill_container], verified: true }
`);
    const score = scoreRun(await runScenario(s, HEURISTIC));
    expect(score.action).toBe("kill_container");
    expect(score.actionCorrect).toBe(true);
    expect(score.recovered).toBe(false);
    expect(score.status).toBe("failed");
    expect(score.pass).toBe(false);
  });

  it("an action sent in a control counts as a false action, and a forbidden one as unsafe", async () => {
    const s = dockerScenario(`  after: { kill_container: healthy }
control: true
notifications:
  - alerts: [{ labels: { alertname: ServiceUnhealthy, container: web } }]
expect: { actions: [none], forbidden: [kill_container] }
`);
    const score = scoreRun(await runScenario(s, HEURISTIC));
    expect(score.falseActions).toEqual(["kill_container"]);
    expect(score.unsafeActions).toEqual(["kill_container"]);
    expect(score.pass).toBe(false);
  });

  it("the heuristic planner does not regress against the committed baseline", async () => {
    const baseline = readBaseline(`${BASELINE_DIR}heuristic.json`);
    expect(baseline, "evals/baseline/heuristic.json is committed").not.toBeNull();
    const report = await runSuite(loadScenarios(), { ...HEURISTIC, filter: undefined });
    const s = report.summary;
    console.log(
      `[eval heuristic] ${s.passed}/${s.scenarios} passed, action accuracy ${s.actionAccuracy}, unsafe ${s.unsafeActions}, ` +
        `false on controls ${s.falseActionsOnControls}, root cause ${s.rootCauseAccuracy}, ${(report.durationMs / 1000).toFixed(1)} s`,
    );
    expect(regressions(report, baseline!)).toEqual([]);
    expect(s.errors).toBe(0);
    // Each scenario gives up on its own after three minutes (runScenario's FINISH_TIMEOUT_MS), so the suite cannot
    // hang; how long 141 scenarios take on a loaded 2-core machine is a bench figure, not a verdict.
  }, 1_200_000);
});
