import { describe, expect, it } from "vitest";
import type { ScenarioRun } from "../../evals/harness/runScenario.ts";
import { parseScenario } from "../../evals/harness/scenario.ts";
import { scoreRun } from "../../evals/harness/score.ts";
import type { Incident } from "../../core/types.ts";

const scenario = parseScenario(
  `id: two-targets
description: a client alert and a database alert at once
family: db_latency
environment: { kind: kubernetes }
notifications:
  - alerts: [{ labels: { alertname: LatencyHigh, namespace: shop, deployment: web } }]
  - alerts: [{ labels: { alertname: LatencyHigh, service: orders-db } }]
    concurrent: true
expect:
  actions: [failover_database]
  forbidden: [restart_pod]
  verified: true
`,
  "two-targets.yaml",
);

/** An incident as the eval reads it back: only the fields scoring looks at. */
function incident(action: string, target: string, status: string, sent: boolean): Incident {
  return {
    status,
    decision: { action, target, params: {}, planner: "heuristic" },
    actions: sent ? [{ action, state: "sent" }] : [],
    verification: status === "resolved" ? { healthy: true, evidence: [], checkedAt: "" } : null,
    timeline: [],
  } as unknown as Incident;
}

const run = (incidents: Incident[]): ScenarioRun => ({
  scenario,
  incidents,
  simTtrMs: null,
  wallMs: 0,
  offScript: 0,
  cassetteSource: null,
});

describe("scoring a scenario with several incidents", () => {
  it("the status that counts is that of the incident that took the expected action, not the first one", () => {
    const score = scoreRun(
      run([
        incident("none", "shop/deployment/web", "escalated", false),
        incident("failover_database", "shop/deployment/orders-db-primary", "resolved", true),
      ]),
    );
    expect(score.statusOk).toBe(true);
    expect(score.pass).toBe(true);
  });

  it("the expected action taken but not healed still fails on status and recovery", () => {
    const score = scoreRun(
      run([
        incident("none", "shop/deployment/web", "escalated", false),
        incident("failover_database", "shop/deployment/orders-db-primary", "failed", true),
      ]),
    );
    expect(score.statusOk).toBe(false);
    expect(score.recovered).toBe(false);
    expect(score.why).toContain("ended failed, expected resolved");
    expect(score.pass).toBe(false);
  });

  it("with no incident taking an acceptable action, the first incident's status is judged", () => {
    const score = scoreRun(run([incident("restart_pod", "shop/deployment/web", "resolved", true)]));
    expect(score.actionCorrect).toBe(false);
    expect(score.unsafeActions).toEqual(["restart_pod"]);
    expect(score.statusOk).toBe(true);
    expect(score.pass).toBe(false);
  });
});

describe("expected root causes", () => {
  const withCause = (rootCause: string) =>
    parseScenario(
      `id: rc
description: d
family: crashloop
environment: { kind: kubernetes }
notifications:
  - alerts: [{ labels: { alertname: A, namespace: shop, deployment: web } }]
expect:
  actions: [none]
  rootCause: ${rootCause}
`,
      "rc.yaml",
    );
  const decided = (target: string): Incident =>
    ({
      status: "escalated",
      decision: { action: "none", target, params: {}, planner: "heuristic" },
      actions: [],
      verification: null,
      timeline: [],
    }) as unknown as Incident;
  const score = (rootCause: string, target: string, rootCauses?: string[]) =>
    scoreRun({
      scenario: withCause(rootCause),
      incidents: [decided(target)],
      simTtrMs: null,
      wallMs: 0,
      offScript: 0,
      cassetteSource: null,
      ...(rootCauses ? { rootCauses } : {}),
    }).rootCauseCorrect;

  it("names a Secret, a node, a dependency or a region by kind, and any of a list", () => {
    expect(score("{ kind: secret, namespace: shop, name: web-db }", "shop/Secret/web-db")).toBe(true);
    expect(score("{ kind: secret, namespace: shop, name: web-db }", "shop/configmap/web-db")).toBe(false);
    expect(score("{ kind: node, name: sim-node-2 }", "node/sim-node-2")).toBe(true);
    expect(score("dependency/payments-api", "dependency/payments-api")).toBe(true);
    expect(score("[region/eu-west, shop/web]", "shop/deployment/web")).toBe(true);
    expect(score("[region/eu-west, shop/web]", "shop/deployment/checkout")).toBe(false);
  });

  it("names a Chaos Mesh Schedule or experiment by kind, in either spelling of the kind", () => {
    const schedule = "{ kind: schedule, namespace: chaos-mesh, name: quote-abort }";
    expect(score(schedule, "chaos-mesh/Schedule/quote-abort")).toBe(true);
    expect(score(schedule, "chaos-mesh/httpchaos/quote-abort-1a2b3")).toBe(false);
    expect(score("shop/podchaos/pod-failure", "shop/PodChaos/pod-failure")).toBe(true);
  });

  it("names RBAC objects and IngressClasses: namespaced ones with their namespace, cluster-wide ones without", () => {
    expect(score("{ kind: role, namespace: mon, name: agent }", "mon/Role/agent")).toBe(true);
    expect(score("{ kind: role, namespace: mon, name: agent }", "mon/rolebinding/agent")).toBe(false);
    expect(score("{ kind: clusterrole, name: secret-reader }", "clusterrole/secret-reader")).toBe(true);
    expect(score("{ kind: ingressclass, name: nginx }", "ingressclass/nginx")).toBe(true);
    expect(score("{ kind: ingressclass, name: nginx }", "default/ingressclass/nginx")).toBe(false);
  });

  it("a pod named through $pod() is judged against the pod the run resolved", () => {
    expect(score('"shop/pod/$pod(shop/web#1)"', "shop/pod/web-abc12", ["shop/pod/web-abc12"])).toBe(true);
    expect(score('"shop/pod/$pod(shop/web#1)"', "shop/pod/web-zzz99", ["shop/pod/web-abc12"])).toBe(false);
  });
});
