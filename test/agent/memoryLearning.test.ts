import { describe, expect, it } from "vitest";
import type { AgentDeps } from "../../agent/deps.ts";
import { makeLearn } from "../../agent/nodes/learn.ts";
import { makeRecall } from "../../agent/nodes/recall.ts";
import type { IncidentStateType } from "../../agent/state.ts";
import { signal } from "../../agent/signals.ts";
import type { Decision, Evidence, Verification } from "../../core/types.ts";
import type { PastFix } from "../../runbooks/memory/fixMemory.ts";
import { dockerIncidentState, useAgentDeps } from "./agentHarness.ts";
import { decisionFor } from "../helpers/decisions.ts";

const fx = useAgentDeps("agent-memory");
let n = 0;

/** An incident about a checkout container answering 500s, as triage and investigation leave it. */
function checkoutIncident(): Promise<IncidentStateType> {
  const evidence: Evidence = {
    collectedAt: new Date().toISOString(),
    signals: [signal("http_errors", 12, "12 log lines with status 500 in the last minute")],
    observations: {
      docker_container_logs: {
        lines: [{ stream: "stderr", text: "ERROR pg pool exhausted: 500 Internal Server Error" }],
      },
    },
    errors: [],
  };
  return dockerIncidentState(
    fx.deps,
    `checkout-${++n}`,
    {
      labels: { alertname: "CheckoutErrors", service: "checkout" },
      annotations: { summary: "checkout answers 500 to many requests" },
    },
    { evidence },
  );
}

const restart: Decision = decisionFor(
  "restart_container",
  {},
  {
    target: "checkout",
    confidence: 0.7,
    rationale: "server errors",
    family: "http_5xx",
    contributions: { http_errors: 1 },
  },
);
const verification = (healthy: boolean): Verification => ({
  healthy,
  evidence: [{ check: "health_url", ok: healthy, detail: healthy ? "200" : "500" }],
  checkedAt: new Date().toISOString(),
});

async function decideFor(state: IncidentStateType) {
  const update = await makeRecall(fx.deps)(state);
  // The recall node replaces the state's list (no reducer): its update is the list itself.
  const recalled = (update.recalled ?? []) as PastFix[];
  const incident = (await fx.deps.incidents.get(state.incidentId))!;
  const decision = await fx.deps.planner.decide({
    incident,
    target: state.target!,
    evidence: state.evidence!,
    recalled,
    policy: fx.deps.policy,
  });
  return { decision, recalled, timeline: incident.timeline };
}

describe("recall and learn with the runbook memory", () => {
  it("recalls the runbook on a first incident and says what it recalled and why", async () => {
    const { recalled, timeline, decision } = await decideFor(await checkoutIncident());
    expect(recalled).toEqual([
      expect.objectContaining({ source: "runbook", family: "http_5xx", action: "restart_container" }),
    ]);
    const entry = timeline.find((e) => e.step === "recall")!;
    expect(entry.message).toMatch(/runbook http_5xx recommends restart_container/);
    expect(entry.message).toMatch(/recalled runbook http_5xx \(score [\d.]+: vector similarity/);
    expect(decision.action).toBe("restart_container");
    expect(decision.contributions.runbook).toBeGreaterThan(0);
  });

  it("learns only from verified health: the next similar incident weighs the verified fix", async () => {
    const plain = await decideFor(await checkoutIncident());

    const unsettled = await checkoutIncident();
    await makeLearn(fx.deps)({ ...unsettled, decision: restart, verification: null });
    expect(fx.memory.list().filter((e) => e.kind === "incident")).toEqual([]);

    const first = await checkoutIncident();
    await makeLearn(fx.deps)({ ...first, decision: restart, verification: verification(true) });
    const learned = (await fx.deps.incidents.get(first.incidentId))!.timeline.find(
      (e) => e.step === "learn",
    )!;
    expect(learned.message).toMatch(/remembered: restart_container verified .*new entry incident:/);

    const next = await decideFor(await checkoutIncident());
    expect(next.timeline.find((e) => e.step === "recall")!.message).toMatch(
      /restart_container: 1 verified, 0 failed/,
    );
    expect(next.decision.action).toBe("restart_container");
    expect(next.decision.contributions.past_fixes).toBeGreaterThan(0);
    expect(next.decision.confidence).toBeGreaterThan(plain.decision.confidence);
  });

  it("a failed fix is remembered as negative evidence and lowers that action next time", async () => {
    const plain = await decideFor(await checkoutIncident());
    for (let i = 0; i < 2; i++) {
      const failed = await checkoutIncident();
      await makeLearn(fx.deps)({ ...failed, decision: restart, verification: verification(false) });
      const learned = (await fx.deps.incidents.get(failed.incidentId))!.timeline.find(
        (e) => e.step === "learn",
      )!;
      expect(learned.message).toMatch(/restart_container failed .*negative evidence/);
    }
    const next = await decideFor(await checkoutIncident());
    expect(next.recalled).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: "restart_container", verified: 0, failed: 2 }),
      ]),
    );
    // Two failures of the only candidate: the planner no longer repeats it and hands over to a person.
    expect(next.decision.action).toBe("none");
    expect(next.decision.confidence).toBeLessThan(plain.decision.confidence);
  });
});

describe("recall when the memory fails", () => {
  it("decides on the evidence alone and says so in the timeline", async () => {
    const broken: AgentDeps["memory"] = {
      record: () => Promise.reject(new Error("embeddings endpoint unreachable")),
      recall: () => Promise.reject(new Error("embeddings endpoint unreachable")),
    };
    const state = await checkoutIncident();
    const update = await makeRecall({ ...fx.deps, memory: broken })(state);
    expect(update.recalled).toEqual([]);
    const timeline = (await fx.deps.incidents.get(state.incidentId))!.timeline;
    expect(timeline.find((e) => e.step === "recall")!.message).toMatch(
      /memory unavailable, deciding on the evidence alone: embeddings endpoint unreachable/,
    );
  });
});
