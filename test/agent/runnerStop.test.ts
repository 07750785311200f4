import { describe, expect, it } from "vitest";
import type { IncidentGraph } from "../../agent/graph.ts";
import { IncidentRunner } from "../../agent/runner.ts";
import type { Clock } from "../../core/clock.ts";
import { silentLogger } from "../../core/logger.ts";
import type { IncidentRepository } from "../../store/incidentRepository.ts";

/** A clock whose sleeps move its time on at once (as the evals' simulated clock does), recording each wait. */
function virtualClock(): Clock & { waited(): number } {
  let t = 0;
  return {
    now: () => t,
    sleep: async (ms) => {
      t += ms;
      await new Promise((r) => setImmediate(r));
    },
    waited: () => t,
  };
}

/** A runner whose one incident's run never ends on its own (a run stuck on a slow API) until `finish()`. */
function stuckRun(clock: Clock) {
  let finish = () => {};
  let markStarted = () => {};
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const graph = {
    getState: async () => ({ tasks: [], next: ["investigate"] }),
    invoke: () => {
      markStarted();
      return new Promise<void>((resolve) => (finish = resolve));
    },
  };
  const endedRuns: string[] = [];
  const incidents = {
    beginRun: async () => 0,
    endRun: async (id: string) => void endedRuns.push(id),
  };
  const runner = new IncidentRunner(
    graph as unknown as IncidentGraph,
    incidents as unknown as IncidentRepository,
    silentLogger(),
    { workers: 1, queueSize: 10, sweepIntervalMs: 60_000, clock },
  );
  return { runner, endedRuns, started, finish: () => finish() };
}

describe("the runner's shutdown", () => {
  it("waits for runs in flight on the agent's clock: a stuck run is given up after the timeout, its run ended", async () => {
    const clock = virtualClock();
    const { runner, endedRuns, started, finish } = stuckRun(clock);
    runner.enqueue(["inc_1"]);
    await started;
    // Ten minutes would time the test out on the machine's clock; on the injected one they pass at once.
    await runner.stop(600_000);
    expect(clock.waited()).toBeGreaterThanOrEqual(600_000);
    // Cut short by the shutdown, not crashed: the run is ended so it does not count towards quarantine.
    expect(endedRuns).toContain("inc_1");
    finish();
  });

  it("returns as soon as the last run ends, without waiting out the timeout", async () => {
    const clock = virtualClock();
    const { runner, started, finish } = stuckRun(clock);
    runner.enqueue(["inc_1"]);
    await started;
    const stopping = runner.stop(600_000);
    finish();
    await stopping;
    expect(clock.waited()).toBeLessThan(600_000);
  });
});
