import { describe, expect, it } from "vitest";
import { makeCheck } from "../../agent/nodes/check.ts";
import { makeLearn } from "../../agent/nodes/learn.ts";
import { parsePolicy } from "../../agent/policy/loadPolicy.ts";
import { judgePlausibility } from "../../agent/policy/plausibility.ts";
import { signal } from "../../agent/signals.ts";
import type { IncidentStateType } from "../../agent/state.ts";
import type { Decision, Evidence, Signal, Target } from "../../core/types.ts";
import { dockerIncidentState, useAgentDeps } from "./agentHarness.ts";
import { k8sWorkload } from "../helpers/targets.ts";

const container: Target = { kind: "docker_container", key: "docker:container/web", name: "web" };
const worker: Target = k8sWorkload("email-worker");
const evidenceOf = (...signals: Signal[]): Evidence => ({
  collectedAt: new Date().toISOString(),
  signals,
  observations: {},
  errors: [],
});
const decision = (
  action: Decision["action"],
  params: Record<string, unknown> = {},
  contributions = {},
): Decision => ({
  action,
  target: "web",
  params,
  confidence: 0.8,
  rationale: "test",
  contributions,
  planner: "llm",
  model: "scripted",
  promptVersion: "test",
});
const HEALTHY = signal("healthy", true, "running, health URL 200 in 12 ms");
const policy = parsePolicy(
  "services:\n  email:\n    target: { namespace: shop, deployment: email-worker }\n    queue: { name: emails, maxWorkers: 6 }\n",
  "policy.yaml",
);
const judge = (d: Decision, target: Target, ...signals: Signal[]) =>
  judgePlausibility({ decision: d, target, evidence: evidenceOf(...signals), policy });

describe("plausibility of a decision against its evidence", () => {
  it("more Kafka consumers for lag on a hot partition are refused from any planner", () => {
    const lag = signal("consumer_lag", "emails", "consumer group emails lags");
    const few = signal("consumers_below_partitions", 4, "2 ready consumer(s) for 6 partition(s)");
    const hot = signal("lag_on_few_partitions", "3", "partition 3 holds 97 % of the lag");
    expect(judge(decision("add_kafka_consumers"), worker, lag, few, hot)).toMatchObject({
      verdict: "refuse",
    });
    expect(judge(decision("add_kafka_consumers"), worker, lag, few).verdict).not.toBe("refuse");
  });
  it("a restart of a target the evidence shows healthy is refused, naming what was seen", () => {
    const j = judge(decision("restart_container"), container, HEALTHY);
    expect(j).toEqual({
      verdict: "refuse",
      reason: expect.stringMatching(
        /restart_container on a target the evidence shows healthy \(running, health URL 200/,
      ),
    });
  });

  it("the same restart with a failure in the evidence goes ahead", () => {
    expect(
      judge(decision("restart_container"), container, signal("http_errors", 9, "9 lines with 500")),
    ).toEqual({
      verdict: "ok",
    });
  });

  it("a kill of a process that answers (no hang in the evidence) needs a person's approval", () => {
    const j = judge(decision("kill_container"), container, signal("http_errors", 9, "9 lines with 500"));
    expect(j.verdict).toBe("approve");
    expect(j.verdict !== "ok" && j.reason).toMatch(
      /kill_container treats health_timeout or stuck_terminating/,
    );
  });

  it("a kill of a hung process goes ahead", () => {
    expect(
      judge(decision("kill_container"), container, signal("health_timeout", true, "no answer in 2 s")),
    ).toEqual({
      verdict: "ok",
    });
  });

  it("an action of another platform is refused", () => {
    const j = judge(decision("rollback_deployment"), container, signal("crash_loop", true, "exit 1 ×5"));
    expect(j.verdict === "refuse" && j.reason).toMatch(/not an action for a docker_container target/);
  });

  it("scaling beyond the policy's maxWorkers is refused; within it goes ahead", () => {
    const backlog = signal("queue_backlog", 5000, "queue depth 5000 and growing");
    const over = judge(decision("scale_deployment", { replicas: 9 }), worker, backlog);
    expect(over.verdict === "refuse" && over.reason).toMatch(/beyond the policy's maxWorkers \(6\)/);
    expect(judge(decision("scale_deployment", { replicas: 5 }), worker, backlog).verdict).toBe("ok");
  });

  it("a rollback with no new revision and no failing version in the evidence needs approval", () => {
    const j = judge(decision("rollback_deployment"), worker, signal("http_errors", 3, "3 lines with 500"));
    expect(j.verdict).toBe("approve");
  });

  it("a forced pod restart of a pod that is not hung needs approval", () => {
    const j = judge(
      decision("restart_pod", { force: true }),
      worker,
      signal("oom_killed", true, "OOMKilled"),
    );
    expect(j.verdict === "approve" && j.reason).toMatch(/grace period 0/);
  });

  it("a restart of a pod whose limit is below its need (OOM at every start) is refused", () => {
    const limited = signal(
      "oom_limit_too_low",
      134217728,
      "every pod of the only revision is OOMKilled within about 45 s of starting",
    );
    const j = judge(decision("restart_pod"), worker, signal("oom_killed", 2, "2 pod(s) OOMKilled"), limited);
    expect(j.verdict === "refuse" && j.reason).toMatch(
      /restart_pod cannot help: every pod of the only revision/,
    );
  });

  it("no action is always plausible", () => {
    expect(judge(decision("none"), container, HEALTHY)).toEqual({ verdict: "ok" });
  });
});

const fx = useAgentDeps("plausibility");
let n = 0;

function stateWith(
  evidence: Evidence,
  d: Decision,
  alertEnd?: string,
  labels: Record<string, string> = {},
): Promise<IncidentStateType> {
  return dockerIncidentState(
    fx.deps,
    `web-${++n}`,
    {
      status: alertEnd ? "resolved" : "firing",
      labels: { alertname: "WebErrors", ...labels },
      annotations: {},
      startsAt: new Date(Date.now() - 60_000).toISOString(),
      ...(alertEnd ? { endsAt: alertEnd } : {}),
    },
    {
      evidence,
      decision: d,
      actedAt: new Date().toISOString(),
      verification: {
        healthy: true,
        evidence: [{ check: "health_url", ok: true, detail: "200" }],
        checkedAt: new Date().toISOString(),
      },
    },
  );
}

describe("the check node between planner and guard", () => {
  it("refuses a restart of a healthy container: escalated, the reason on the timeline, the evidence named", async () => {
    const state = await stateWith(evidenceOf(HEALTHY), decision("restart_container", {}, { healthy: 1 }));
    const update = await makeCheck(fx.deps)(state);
    expect(update.outcome).toEqual({
      status: "escalated",
      reason: expect.stringMatching(
        /^action_not_supported_by_evidence: restart_container on a target the evidence shows healthy/,
      ),
    });
    const timeline = (await fx.deps.incidents.get(state.incidentId))!.timeline;
    expect(timeline.find((e) => e.step === "check")?.message).toMatch(/restart_container refused/);
    expect((await fx.deps.incidents.get(state.incidentId))!.decision?.basis).toEqual([
      { evidence: "healthy", weight: 1, detail: "healthy: running, health URL 200 in 12 ms" },
    ]);
  });

  it("sends a kill of a responsive process to approval even in auto mode", async () => {
    const errors = signal("http_errors", 9, "9 lines with 500");
    const state = await stateWith(evidenceOf(errors), decision("kill_container", {}, { http_errors: 1 }));
    const update = await makeCheck(fx.deps)(state);
    expect(update.outcome).toBeUndefined();
    expect(update.needsApproval).toMatch(/kill_container treats health_timeout/);
  });
});

describe("informational alerts", () => {
  it("an info-severity alert is never acted on, even with a failure in the evidence: dismissed with the reason", async () => {
    const errors = signal("http_errors", 9, "9 lines with 500");
    const state = await stateWith(
      evidenceOf(errors),
      decision("restart_container", {}, { http_errors: 1 }),
      undefined,
      {
        severity: "info",
      },
    );
    const update = await makeCheck(fx.deps)(state);
    expect(update.outcome).toEqual({
      status: "dismissed",
      reason: expect.stringMatching(/^informational alert\(s\) only \(severity=info\)/),
    });
  });

  it("a warning alert with the same evidence goes ahead", async () => {
    const errors = signal("http_errors", 9, "9 lines with 500");
    const state = await stateWith(
      evidenceOf(errors),
      decision("restart_container", {}, { http_errors: 1 }),
      undefined,
      {
        severity: "warning",
      },
    );
    expect((await makeCheck(fx.deps)(state)).outcome).toBeUndefined();
  });
});

describe("learning credits only real fixes", () => {
  it("a target healthy before the action is not remembered as fixed by it", async () => {
    const state = await stateWith(evidenceOf(HEALTHY), decision("restart_container", {}, { healthy: 1 }));
    await makeLearn(fx.deps)(state);
    const learn = (await fx.deps.incidents.get(state.incidentId))!.timeline.find((e) => e.step === "learn");
    expect(learn?.message).toMatch(
      /not remembered as a fix: the investigation before the action found no failure/,
    );
  });

  it("a symptom that cleared before the action is not credited to it", async () => {
    const ended = new Date(Date.now() - 30_000).toISOString();
    const errors = signal("http_errors", 9, "9 lines with 500");
    const state = await stateWith(
      evidenceOf(errors),
      decision("restart_container", {}, { http_errors: 1 }),
      ended,
    );
    await makeLearn(fx.deps)(state);
    const learn = (await fx.deps.incidents.get(state.incidentId))!.timeline.find((e) => e.step === "learn");
    expect(learn?.message).toMatch(/every alert had resolved before the action was sent/);
  });

  it("a failure fixed by the action is remembered as verified", async () => {
    const errors = signal("http_errors", 9, "9 lines with 500");
    const state = await stateWith(evidenceOf(errors), decision("restart_container", {}, { http_errors: 1 }));
    await makeLearn(fx.deps)(state);
    const learn = (await fx.deps.incidents.get(state.incidentId))!.timeline.find((e) => e.step === "learn");
    expect(learn?.message).toMatch(/remembered: restart_container verified/);
  });
});
