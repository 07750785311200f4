import { describe, expect, it } from "vitest";
import { HeuristicPlanner } from "../../../agent/planners/heuristic.ts";
import { dockerSignals } from "../../../agent/platforms/docker/signals.ts";
import { defaultPolicy } from "../../../agent/policy/loadPolicy.ts";
import type { Decision, Target } from "../../../core/types.ts";
import type { PastFix } from "../../../runbooks/memory/fixMemory.ts";
import { captured } from "../../helpers/fixtures.ts";

const target: Target = { kind: "docker_container", key: "docker:container/web", name: "web" };
const planner = new HeuristicPlanner();

function decide(kind: string, recalled: PastFix[] = []): Promise<Decision> {
  return planner.decide({
    incident: { id: "inc_test", alerts: [] },
    target,
    evidence: {
      collectedAt: new Date().toISOString(),
      signals: dockerSignals(captured(kind)),
      observations: {},
      errors: [],
    },
    recalled,
    policy: defaultPolicy(),
  });
}

describe("heuristic planner on real container evidence (one alert name for all)", () => {
  it.each([
    ["memory_leak", "restart_container", "memory_leak"],
    ["oom_killed", "restart_container", "oom_killed"],
    ["hung", "kill_container", "hung_service"],
    ["http_5xx", "restart_container", "http_5xx"],
    ["slow", "restart_container", "latency_p95"],
  ])("%s → %s", async (kind, action, family) => {
    const d = await decide(kind);
    expect(d.action).toBe(action);
    expect(d.family).toBe(family);
    expect(d.planner).toBe("heuristic");
    expect(d.confidence).toBeGreaterThan(0.5);
    const shares = Object.values(d.contributions);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 1);
  });

  it.each(["config_crashloop", "config_exited"])(
    "%s → none, escalated, because a restart cannot fix it",
    async (kind) => {
      const d = await decide(kind);
      expect(d.action).toBe("none");
      expect(d.disposition).toBe("escalate");
      expect(d.rationale).toMatch(/configuration/);
    },
  );

  it("a healthy target gets no action and says so", async () => {
    const d = await decide("healthy");
    expect(d.action).toBe("none");
    expect(d.rationale).toMatch(/healthy/);
  });

  it("past verified fixes raise confidence; past failures of the same action lower it", async () => {
    const plain = await decide("http_5xx");
    const good = await decide("http_5xx", [
      { action: "restart_container", verified: 3, failed: 0, similarity: 1 },
    ]);
    const bad = await decide("http_5xx", [
      { action: "restart_container", verified: 0, failed: 3, similarity: 1 },
    ]);
    expect(good.confidence).toBeGreaterThan(plain.confidence);
    expect(good.contributions.past_fixes).toBeGreaterThan(0);
    expect(bad.confidence).toBeLessThan(plain.confidence);
  });
});
