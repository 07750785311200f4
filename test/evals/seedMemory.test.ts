import { describe, expect, it } from "vitest";
import { runScenario } from "../../evals/harness/runScenario.ts";
import { parseScenario } from "../../evals/harness/scenario.ts";

// A scenario whose runbook memory already holds a past incident of the same service: the agent's recall step
// finds it (the harness seeds it into the scenario's own database before AegisOps opens it).
const scenario = parseScenario(
  `id: seeded-memory
description: checkout panics after a release; the memory remembers the same incident last week.
family: crashloop
tags: [kubernetes]
environment:
  kind: kubernetes
  faults: [{ family: crashloop, target: shop/checkout, variant: bad_image }]
memory:
  - incidentId: inc_last_week_checkout
    family: crashloop
    action: rollback_deployment
    outcome: verified
    targetKind: k8s_workload
    alertNames: [KubePodCrashLooping]
    services: [checkout]
    signature: [crashloop]
    text: "KubePodCrashLooping\\ndeployment checkout\\ncheckout pods in CrashLoopBackOff after release 2.4.1; rolled back"
notifications:
  - alerts:
      - labels: { alertname: KubePodCrashLooping, namespace: shop, deployment: checkout }
expect:
  actions: [rollback_deployment]
`,
  "seeded.yaml",
);

describe("scenario state seeding: runbook memory and Alertmanager", () => {
  it("past incidents given in `memory` are in the runbook memory the agent recalls from", async () => {
    const run = await runScenario(scenario, {
      planner: "heuristic",
      model: "none",
      cassetteMode: "replay",
      openai: { apiKey: undefined, baseUrl: undefined },
    });
    expect(run.error).toBeUndefined();
    const recall = run.incidents[0]!.timeline.find((t) => t.step === "recall");
    const hits = (recall?.data as { hits?: Array<{ key: string; kind: string }> } | undefined)?.hits ?? [];
    expect(hits.some((h) => h.kind === "incident" && h.key.includes("inc_last_week_checkout"))).toBe(true);
  }, 120_000);

  it("a scenario with Alertmanager state (a silence) runs to the end", async () => {
    const withAm = parseScenario(
      `id: with-am
description: web is silenced for a migration; the alert about it arrives anyway.
family: control
control: true
environment: { kind: kubernetes, developMs: 5000 }
alertmanager:
  silences: [{ matchers: [{ name: deployment, value: web }], comment: migration }]
notifications:
  - alerts: [{ labels: { alertname: HighErrorRate, namespace: shop, deployment: web }, status: resolved }]
expect: { actions: [none] }
`,
      "with-am.yaml",
    );
    const run = await runScenario(withAm, {
      planner: "heuristic",
      model: "none",
      cassetteMode: "replay",
      openai: { apiKey: undefined, baseUrl: undefined },
    });
    expect(run.error).toBeUndefined();
    expect(run.incidents).toHaveLength(1);
  }, 120_000);

  it("a malformed past incident is a scenario error naming the field", () => {
    expect(() =>
      parseScenario(
        `id: x
description: d
family: control
environment: { kind: kubernetes }
memory: [{ incidentId: a, family: null, action: reboot_everything, outcome: verified, targetKind: k, text: t }]
notifications: [{ alerts: [{ labels: { alertname: A } }] }]
expect: { actions: [none] }
`,
        "bad.yaml",
      ),
    ).toThrow(/bad\.yaml.*memory/);
  });
});
