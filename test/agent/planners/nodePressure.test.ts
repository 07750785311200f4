import { describe, expect, it } from "vitest";
import { HeuristicPlanner } from "../../../agent/planners/heuristic.ts";
import { nodeSignals } from "../../../agent/platforms/kubernetes/signals.ts";
import { defaultPolicy } from "../../../agent/policy/loadPolicy.ts";
import { signal } from "../../../agent/signals.ts";
import type { Signal, Target } from "../../../core/types.ts";
import type { NodeSnapshot } from "../../../tools/kubernetes/nodeStatus.ts";

const node: Target = { kind: "k8s_node", key: "k8s::node/n1", name: "n1" };
const snapshot = (conditions: Array<[string, string]>, unschedulable = false): NodeSnapshot => ({
  name: "n1",
  unschedulable,
  conditions: conditions.map(([type, status]) => ({
    type,
    status,
    reason: `Kubelet${type}`,
    message: "",
    since: null,
  })),
  taints: [],
  pods: [],
});
const decide = (signals: Signal[]) =>
  new HeuristicPlanner().decide({
    incident: { id: "inc_node", alerts: [] },
    target: node,
    evidence: { collectedAt: "2026-12-07T18:00:00.000Z", signals, observations: {}, errors: [] },
    recalled: [],
    policy: defaultPolicy(),
  });
const names = (s: Signal[]) => s.map((x) => x.name);

describe("a node under memory or PID pressure", () => {
  it("the kubelet's MemoryPressure / PIDPressure conditions become signals; False ones do not", () => {
    expect(
      names(
        nodeSignals(
          snapshot([
            ["Ready", "True"],
            ["MemoryPressure", "True"],
          ]),
        ),
      ),
    ).toEqual(["memory_pressure"]);
    expect(
      names(
        nodeSignals(
          snapshot([
            ["Ready", "True"],
            ["PIDPressure", "True"],
          ]),
        ),
      ),
    ).toEqual(["pid_pressure"]);
    expect(
      names(
        nodeSignals(
          snapshot([
            ["Ready", "True"],
            ["MemoryPressure", "False"],
          ]),
        ),
      ),
    ).toEqual(["healthy"]);
  });

  it.each(["memory_pressure", "pid_pressure"] as const)(
    "%s with room elsewhere → cordon_drain_node",
    async (name) => {
      const d = await decide([signal(name, true, "pressure")]);
      expect(d.action).toBe("cordon_drain_node");
    },
  );

  it("look-alike: pressure, but no other node could take the pods → escalated, nothing drained", async () => {
    const d = await decide([
      signal("memory_pressure", true, "MemoryPressure"),
      signal("no_room_elsewhere", true, "no other node is Ready, schedulable and free of pressure"),
    ]);
    expect(d.action).toBe("none");
    expect(d.disposition).toBe("escalate");
    expect(d.rationale).toMatch(/Pending/);
  });

  it("look-alike: a pressured node already cordoned (a drain under way) gets no second drain", async () => {
    const signals = nodeSignals({
      ...snapshot(
        [
          ["Ready", "True"],
          ["MemoryPressure", "True"],
        ],
        true,
      ),
      pods: [
        {
          name: "web-1",
          namespace: "shop",
          ownerKind: "ReplicaSet",
          deleting: false,
          containers: [],
        } as never,
      ],
    });
    expect(names(signals)).toContain("node_cordoned");
    expect((await decide(signals)).action).toBe("none");
  });
});
