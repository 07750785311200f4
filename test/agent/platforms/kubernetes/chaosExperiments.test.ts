import { describe, expect, it } from "vitest";
import { chaosSignals, type ChaosObject } from "../../../../agent/platforms/kubernetes/chaosExperiments.ts";
import type { Workload } from "../../../../agent/platforms/kubernetes/actions/action.ts";
import { heuristicDecision } from "../../../helpers/decisions.ts";
import { signal } from "../../../../agent/signals.ts";
import { k8sWorkload } from "../../../helpers/targets.ts";

const email = { namespace: "otel-demo", pods: ["email-5d9f7-abcde"], labels: { app: "email" } };
const target: Workload = k8sWorkload("email", { namespace: "otel-demo" });

/** A Chaos Mesh experiment as the API returns it. */
const experiment = (over: Partial<ChaosObject> & { selector?: object; records?: string[] }): ChaosObject => ({
  kind: over.kind ?? "HTTPChaos",
  metadata: { name: "abort", namespace: "chaos-mesh", ...over.metadata },
  spec: { selector: over.selector ?? {} } as ChaosObject["spec"],
  status: {
    experiment: {
      desiredPhase: over.status?.experiment?.desiredPhase ?? "Run",
      containerRecords: (over.records ?? []).map((id) => ({ id, phase: "Injected" })),
    },
  },
});

describe("Chaos Mesh experiments in the evidence", () => {
  it("an experiment selecting the workload's labels in its namespace is named as breaking it on purpose", () => {
    const s = chaosSignals(email, [
      experiment({ selector: { namespaces: ["otel-demo"], labelSelectors: { app: "email" } } }),
    ]);
    expect(s.map((x) => [x.name, x.value])).toEqual([["chaos_injected", "chaos-mesh/httpchaos/abort"]]);
  });

  it("a Schedule's template selector counts, and a child experiment names its Schedule", () => {
    const schedule: ChaosObject = {
      kind: "Schedule",
      metadata: { name: "tamper", namespace: "chaos-mesh" },
      spec: {
        type: "HTTPChaos",
        httpChaos: { selector: { namespaces: ["otel-demo"], labelSelectors: { app: "email" } } },
      },
    };
    expect(chaosSignals(email, [schedule])[0]?.value).toBe("chaos-mesh/schedule/tamper");
    const child = experiment({
      metadata: {
        name: "tamper-x1",
        namespace: "chaos-mesh",
        ownerReferences: [{ kind: "Schedule", name: "tamper" }],
      },
      records: ["otel-demo/email-5d9f7-abcde"],
      selector: { namespaces: ["otel-demo"], labelSelectors: { app: "other" } },
    });
    expect(chaosSignals(email, [child])[0]).toMatchObject({
      name: "chaos_injected",
      value: "chaos-mesh/schedule/tamper",
    });
  });

  it("an experiment on other pods of the namespace is only nearby; a stopped or paused one, or another namespace's, is nothing", () => {
    const quote = experiment({ selector: { namespaces: ["otel-demo"], labelSelectors: { app: "quote" } } });
    expect(chaosSignals(email, [quote]).map((x) => x.name)).toEqual(["chaos_nearby"]);
    const stopped = experiment({
      selector: { namespaces: ["otel-demo"], labelSelectors: { app: "email" } },
      status: { experiment: { desiredPhase: "Stop" } },
    });
    const paused = experiment({
      metadata: {
        name: "p",
        namespace: "chaos-mesh",
        annotations: { "experiment.chaos-mesh.org/pause": "true" },
      },
      selector: { namespaces: ["otel-demo"], labelSelectors: { app: "email" } },
    });
    const elsewhere = experiment({ selector: { namespaces: ["shop"], labelSelectors: { app: "email" } } });
    expect(chaosSignals(email, [stopped, paused, elsewhere])).toEqual([]);
  });

  it("the planner escalates naming the experiment instead of restarting through it", async () => {
    const [injected] = chaosSignals(email, [
      experiment({ selector: { namespaces: ["otel-demo"], labelSelectors: { app: "email" } } }),
    ]);
    const errors = signal("http_errors", 5, "5 pods log server errors");
    const d = await heuristicDecision(target, [errors, injected!]);
    expect(d.action).toBe("none");
    expect(d.target).toBe("chaos-mesh/httpchaos/abort");
    const alone = await heuristicDecision(target, [errors]);
    expect(alone.action).toBe("restart_pod");
  });
});
