import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActionRecord, Decision, Incident, IncidentStatus } from "../../core/types.ts";
import { registerIncidentMetrics } from "../../server/incidentMetrics.ts";
import { createMetricsRegistry, registerServerMetrics } from "../../server/metrics.ts";
import { promtoolCheckMetrics } from "../helpers/promtool.ts";
import { expectSeries, fixture, retarget, seriesValue, startTestServer, type TestServer } from "./helpers.ts";
import { decisionFor } from "../helpers/decisions.ts";
import { incidentFor } from "../helpers/incidents.ts";

const value = seriesValue;

function incident(id: string, status: IncidentStatus, over: Partial<Incident> = {}): Incident {
  return incidentFor({ id, status, ...over });
}

const decision = (over: Partial<Decision> = {}): Decision =>
  decisionFor(
    "restart_container",
    {},
    {
      target: "web",
      rationale: "memory grows",
      contributions: { memory_growth: 1 },
      ...over,
    },
  );

const action = (state: ActionRecord["state"], attempt = 1): ActionRecord => ({
  key: `k${attempt}`,
  action: "restart_container",
  target: "web",
  params: {},
  attempt,
  state,
  requestedAt: "2026-01-01T00:00:01.000Z",
});

describe("/metrics through prom-client", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ AEGIS_WEBHOOK_TOKEN: "hook" });
    await srv.post(retarget(fixture("am-webhook-firing"), "web-1"), { token: "hook" });
  });
  afterAll(() => srv?.close());

  it("passes promtool check metrics and carries process metrics and incidents by every status", async () => {
    const res = await fetch(`${srv.url}/metrics`);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(promtoolCheckMetrics(text)).toBe("");
    expect(value(text, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(value(text, "nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
    expect(value(text, 'aegis_incidents{status="open"}')).toBe(1);
    expect(value(text, 'aegis_incidents{status="resolved"}')).toBe(0);
  });
});

describe("incident metrics", () => {
  it("counts a healed incident's action as verified and its recovery time, once however often it is recorded", async () => {
    const registry = createMetricsRegistry();
    const m = registerIncidentMetrics(registry, { configuredPlanner: "heuristic" });
    const healed = incident("a", "resolved", {
      decision: decision(),
      actions: [action("sent", 1), action("sent", 2)],
      mttrMs: 42_000,
    });
    m.record(healed);
    m.record(healed);
    m.record(incident("b", "escalated", { decision: decision({ action: "none" }) }));
    m.record(incident("c", "failed", { decision: decision(), actions: [action("failed")] }));

    const text = await registry.metrics();
    expectSeries(text, {
      'aegis_actions_total{action="restart_container",outcome="verified"}': 1,
      'aegis_actions_total{action="restart_container",outcome="unverified"}': 1,
      'aegis_actions_total{action="restart_container",outcome="failed"}': 1,
      aegis_alert_to_verified_seconds_count: 1,
      aegis_alert_to_verified_seconds_sum: 42,
      'aegis_alert_to_verified_seconds_bucket{le="30"}': 0,
      'aegis_alert_to_verified_seconds_bucket{le="60"}': 1,
      'aegis_incidents_finished_total{status="resolved"}': 1,
      'aegis_incidents_finished_total{status="escalated"}': 1,
      'aegis_planner_decisions_total{planner="heuristic",action="none"}': 1,
      'aegis_planner_decisions_total{planner="heuristic",action="restart_container"}': 2,
    });
    expect(promtoolCheckMetrics(text)).toBe("");
  });

  it("counts the decision when the run pauses for approval and the outcome only when it finishes", async () => {
    const registry = createMetricsRegistry();
    const m = registerIncidentMetrics(registry, { configuredPlanner: "heuristic" });
    m.record(incident("a", "awaiting_approval", { decision: decision() }));
    let text = await registry.metrics();
    expect(value(text, 'aegis_planner_decisions_total{planner="heuristic",action="restart_container"}')).toBe(
      1,
    );
    expect(value(text, 'aegis_actions_total{action="restart_container",outcome="verified"}')).toBeUndefined();

    m.record(incident("a", "resolved", { decision: decision(), actions: [action("sent")], mttrMs: 5000 }));
    text = await registry.metrics();
    expect(value(text, 'aegis_planner_decisions_total{planner="heuristic",action="restart_container"}')).toBe(
      1,
    );
    expect(value(text, 'aegis_actions_total{action="restart_container",outcome="verified"}')).toBe(1);
  });

  it("counts LLM tokens, calls and cost, and a fallback to the heuristic planner", async () => {
    const registry = createMetricsRegistry();
    const m = registerIncidentMetrics(registry, {
      configuredPlanner: "llm",
      queue: () => ({ queued: 3, inFlight: 2 }),
    });
    const usage = { model: "gpt-4o", promptVersion: "v1", calls: 2, tokensIn: 1200, tokensOut: 300 };
    m.record(
      incident("a", "resolved", {
        decision: decision({ planner: "llm", usage: { ...usage, costUsd: 0.006 } }),
      }),
    );
    m.record(
      incident("b", "escalated", { decision: decision({ usage: { ...usage, calls: 1, costUsd: null } }) }),
    );

    const text = await registry.metrics();
    expectSeries(text, {
      'aegis_llm_tokens_total{model="gpt-4o",direction="in"}': 2400,
      'aegis_llm_tokens_total{model="gpt-4o",direction="out"}': 600,
      'aegis_llm_calls_total{model="gpt-4o"}': 3,
      'aegis_llm_cost_usd_total{model="gpt-4o"}': 0.006,
      'aegis_planner_fallbacks_total{configured="llm",used="heuristic"}': 1,
      aegis_agent_queue_depth: 3,
      aegis_agent_runs_in_flight: 2,
    });
  });

  it("shares one registry between two registrations without a clash", () => {
    const registry = createMetricsRegistry();
    expect(registerServerMetrics(registry).alertsReceived).toBe(
      registerServerMetrics(registry).alertsReceived,
    );
  });
});
