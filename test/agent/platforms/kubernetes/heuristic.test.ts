import { describe, expect, it } from "vitest";
import { HeuristicPlanner } from "../../../../agent/planners/heuristic.ts";
import { signal, type SignalName } from "../../../../agent/signals.ts";
import type { Target } from "../../../../core/types.ts";
import { k8sWorkload } from "../../../helpers/targets.ts";

const workload: Target = k8sWorkload("web");
const node: Target = { kind: "k8s_node", key: "k8s::node/sim-node-1", name: "sim-node-1" };
const docker: Target = { kind: "docker_container", key: "docker:container/x", name: "x" };

async function decide(target: Target, names: SignalName[]) {
  const evidence = {
    collectedAt: "",
    signals: names.map((n) => signal(n, true, n)),
    observations: {},
    errors: [],
  };
  return new HeuristicPlanner().decide({ target, evidence, recalled: [] } as never);
}

describe("heuristic planner on Kubernetes evidence", () => {
  it.each<[string, Target, SignalName[], string, string | undefined]>([
    [
      "crash loop that began with a new revision",
      workload,
      ["crash_loop", "recent_rollout"],
      "rollback_deployment",
      undefined,
    ],
    [
      "new revision with a config error",
      workload,
      ["crash_loop", "config_error", "recent_rollout"],
      "rollback_deployment",
      undefined,
    ],
    ["crash loop from a missing Secret", workload, ["crash_loop", "missing_secret"], "none", "escalate"],
    [
      "missing Secret even right after a rollout",
      workload,
      ["crash_loop", "missing_secret", "recent_rollout"],
      "none",
      "escalate",
    ],
    [
      "OOM from a new release",
      workload,
      ["oom_killed", "crash_loop", "recent_rollout"],
      "rollback_deployment",
      undefined,
    ],
    ["OOM on an old release", workload, ["oom_killed"], "restart_pod", undefined],
    ["node NotReady", node, ["node_not_ready"], "cordon_drain_node", undefined],
    ["node under disk pressure", node, ["disk_pressure"], "cordon_drain_node", undefined],
    ["NotReady node already drained", node, ["node_not_ready", "node_drained"], "none", "escalate"],
    [
      "consumer lag with partitions to spare",
      workload,
      ["consumer_lag", "consumers_below_partitions"],
      "add_kafka_consumers",
      undefined,
    ],
    [
      "consumer lag with a consumer per partition",
      workload,
      ["consumer_lag", "consumers_at_partitions"],
      "none",
      "escalate",
    ],
    ["slow database on its primary", workload, ["db_slow"], "failover_database", undefined],
    ["slow database already on its secondary", workload, ["db_slow", "db_on_secondary"], "none", "escalate"],
    [
      "server errors from a new release",
      workload,
      ["http_errors", "recent_rollout"],
      "rollback_deployment",
      undefined,
    ],
    ["upstream 429s", workload, ["upstream_throttled"], "rate_limit_traffic", undefined],
    ["one slow node", workload, ["slow_on_one_node"], "recreate_pod_elsewhere", undefined],
    ["saturated, no HPA", workload, ["capacity_saturated"], "scale_deployment", undefined],
    ["saturated, HPA at max", workload, ["capacity_saturated", "hpa_at_max"], "raise_hpa_limits", undefined],
    ["saturated, HPA still scaling", workload, ["capacity_saturated", "hpa_scaling"], "none", "escalate"],
    [
      "a Docker container never gets a rollback",
      docker,
      ["crash_loop", "recent_rollout"],
      "none",
      "escalate",
    ],
  ])("%s", async (_what, target, names, action, disposition) => {
    const d = await decide(target, names);
    expect(d.action).toBe(action);
    if (disposition) expect(d.disposition).toBe(disposition);
  });
});
