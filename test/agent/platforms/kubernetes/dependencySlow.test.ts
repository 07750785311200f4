import { describe, expect, it } from "vitest";
import { evidenceOf, heuristicDecision } from "../../../helpers/decisions.ts";
import { defaultPolicy } from "../../../../agent/policy/loadPolicy.ts";
import { judgePlausibility } from "../../../../agent/policy/plausibility.ts";
import { callerSignals } from "../../../../agent/platforms/kubernetes/dependencySignals.ts";
import type { Decision, Signal, Target } from "../../../../core/types.ts";
import { k8sWorkload } from "../../../helpers/targets.ts";

const target: Target = k8sWorkload("orders-consumer");
const slowLines = (n: number) =>
  Array.from({ length: n }, (_, i) => `WARN slow query on orders-db (primary): SELECT took ${900 + i}ms`);
const decide = (signals: Signal[]) => heuristicDecision(target, signals);

describe("a symptom whose cause is a dependency", () => {
  it("several slow-query lines naming one database → dependency_slow naming it; one line is not enough", () => {
    const [s] = callerSignals({
      "c-1": slowLines(2),
      "c-2": ["calls to payments took 2.5 s", ...slowLines(1)],
    });
    expect(s).toMatchObject({ name: "dependency_slow", value: "orders-db" });
    expect(callerSignals({ "c-1": slowLines(1) })).toEqual([]);
  });

  it("consumer lag while the database the consumers query is slow → escalated naming it; more consumers are refused", async () => {
    const signals: Signal[] = [
      ...callerSignals({ "c-1": slowLines(4) }),
      { name: "consumer_lag", value: "orders", detail: "lag 40000" },
      { name: "consumers_below_partitions", value: 4, detail: "2 consumers for 6 partitions" },
    ];
    const d = await decide(signals);
    expect(d.action).toBe("none");
    expect(d.rationale).toMatch(/waits on a dependency that answers slowly/);
    const more: Decision = { ...d, action: "add_kafka_consumers", params: {} };
    const judged = judgePlausibility({
      decision: more,
      target,
      evidence: evidenceOf(signals),
      policy: defaultPolicy(),
    });
    expect(judged).toMatchObject({ verdict: "refuse" });
    expect(judged.verdict === "refuse" && judged.reason).toMatch(
      /would act on the victim: the symptom comes from orders-db/,
    );
  });

  it("look-alikes: only the pods on one node slow (the dependency is fine for the others); the service crashing on its own", async () => {
    const dep = callerSignals({ "c-1": slowLines(4) });
    const oneNode = await decide([...dep, { name: "slow_on_one_node", value: "n2", detail: "" }]);
    expect(oneNode.action).toBe("recreate_pod_elsewhere");
    const crash: Signal[] = [...dep, { name: "oom_killed", value: 1, detail: "" }];
    const restart: Decision = { ...oneNode, action: "restart_pod", params: {} };
    expect(
      judgePlausibility({ decision: restart, target, evidence: evidenceOf(crash), policy: defaultPolicy() })
        .verdict,
    ).toBe("ok");
  });
});
