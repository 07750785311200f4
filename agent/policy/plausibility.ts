import type { ActionId } from "../../core/catalog.ts";
import type { Decision, Evidence, Signal, Target } from "../../core/types.ts";
import { appliesTo } from "../planners/applicability.ts";
import type { SignalName } from "../signals.ts";
import type { Policy } from "./schema.ts";

/** What the plausibility check makes of a decision. */
export type Plausibility =
  | { verdict: "ok" }
  /** A person must approve first, whatever the mode: the evidence does not show what the action needs. */
  | { verdict: "approve"; reason: string }
  /** Never sent: the evidence contradicts the action's own preconditions. */
  | { verdict: "refuse"; reason: string };

/**
 * Signals that describe the situation without being a failure to fix (a rollout happened, the node is already
 * drained, the group has a consumer per partition, a cache is warm).
 */
const CONTEXT: ReadonlySet<SignalName> = new Set<SignalName>([
  "healthy",
  "recent_rollout",
  "node_drained",
  "db_on_secondary",
  "consumers_at_partitions",
  "consumers_below_partitions",
  "standby_region_healthy",
  "queue_drain_available",
  "workers_at_cap",
  "hpa_at_max",
  "hpa_scaling",
  "memory_plateau",
  "replicas_zero",
  "rollout_in_progress",
  "node_cordoned",
  "no_room_elsewhere",
  "chaos_nearby",
  "cause_in_template",
]);

/** The evidence each action treats: at least one must be present, else the action has nothing to fix. */
const TREATS: Record<Exclude<ActionId, "none">, readonly SignalName[] | "any_failure"> = {
  restart_container: "any_failure",
  restart_pod: "any_failure",
  rollout_restart: "any_failure",
  kill_container: ["health_timeout", "stuck_terminating", "cpu_saturated"],
  scale_service: ["capacity_saturated", "queue_backlog", "consumer_lag", "slow_responses", "cpu_saturated"],
  scale_deployment: [
    "capacity_saturated",
    "queue_backlog",
    "consumer_lag",
    "pods_not_ready",
    "scaled_to_zero",
  ],
  raise_hpa_limits: ["hpa_at_max"],
  add_kafka_consumers: ["consumer_lag"],
  rate_limit_traffic: ["upstream_throttled", "capacity_saturated"],
  rollback_deployment: [
    "recent_rollout",
    "version_unhealthy",
    "revision_introduced",
    "latency_began_with_revision",
    "errors_began_with_revision",
  ],
  recreate_pod_elsewhere: [
    "slow_on_one_node",
    "node_network_lossy",
    "callee_node_lossy",
    "stuck_terminating",
  ],
  cordon_drain_node: [
    "node_not_ready",
    "disk_pressure",
    "memory_pressure",
    "pid_pressure",
    "node_network_lossy",
  ],
  failover_database: ["db_slow"],
  reroute_traffic: ["version_unhealthy"],
  drain_queue: ["queue_backlog"],
  failover_region: ["region_down"],
};

const present = (signals: readonly Signal[], name: string) =>
  signals.some((s) => s.name === name && s.value !== false && s.value !== 0);
/** The signals that are failures to fix (not context such as a recent rollout or a healthy target). */
export const failures = (signals: readonly Signal[]): Signal[] =>
  signals.filter((s) => !CONTEXT.has(s.name as SignalName) && s.value !== false && s.value !== 0);

/** The policy entry whose target (or Kafka consumer deployment) is this workload. */
function serviceOf(policy: Policy, target: Target): Policy["services"][string] | undefined {
  if (target.kind !== "k8s_workload") return undefined;
  return Object.values(policy.services).find((s) => {
    const ns = s.target?.namespace ?? target.namespace;
    const name = s.kafka?.consumerDeployment ?? s.target?.deployment ?? s.target?.statefulset;
    return ns === target.namespace && name === target.name;
  });
}

/**
 * After any planner, before the guard: does the evidence support the action? An action for another platform, one
 * whose bounds the policy sets and it exceeds, or one aimed at a target the evidence shows healthy is refused; an
 * action whose own evidence is missing (a kill of a process that answers, a rollback with no new revision) needs a
 * person's approval. Pure: it reads the decision, the target, the evidence and the policy.
 */
export function judgePlausibility(input: {
  decision: Decision;
  target: Target;
  evidence: Evidence;
  policy: Policy;
}): Plausibility {
  const { decision, target, evidence, policy } = input;
  const action = decision.action;
  if (action === "none") return { verdict: "ok" };
  if (!appliesTo(action, target)) {
    return {
      verdict: "refuse",
      reason: `${action} is not an action for a ${target.kind} target (it belongs to another platform)`,
    };
  }
  const signals = evidence.signals;
  const failing = failures(signals);
  const p = decision.params;

  // Bounds the policy sets, whatever the evidence.
  const settings = serviceOf(policy, target);
  if (action === "scale_deployment" || action === "scale_service") {
    const replicas = p.replicas;
    if (
      replicas !== undefined &&
      (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 1)
    ) {
      return {
        verdict: "refuse",
        reason: `${action} to ${String(replicas)} replicas: a count must be a whole number ≥ 1`,
      };
    }
    const max = settings?.queue?.maxWorkers;
    if (max !== undefined && typeof replicas === "number" && replicas > max) {
      return {
        verdict: "refuse",
        reason: `${action} to ${replicas} replicas is beyond the policy's maxWorkers (${max})`,
      };
    }
    if (present(signals, "workers_at_cap")) {
      return {
        verdict: "refuse",
        reason: `${action}: the workers are already at the cap the policy or their HPA sets`,
      };
    }
  }
  if (action === "add_kafka_consumers") {
    const partitions = settings?.kafka?.partitions;
    if (partitions !== undefined && typeof p.consumers === "number" && p.consumers > partitions) {
      return {
        verdict: "refuse",
        reason: `add_kafka_consumers to ${p.consumers} consumers is beyond the topic's ${partitions} partitions (the extra ones would sit idle)`,
      };
    }
    if (present(signals, "consumers_at_partitions")) {
      return { verdict: "refuse", reason: "add_kafka_consumers: every partition already has a consumer" };
    }
    if (present(signals, "lag_on_few_partitions")) {
      return {
        verdict: "refuse",
        reason:
          "add_kafka_consumers: the lag sits on a hot partition, which one consumer reads however many there are",
      };
    }
  }
  if (
    (action === "restart_pod" || action === "rollout_restart" || action === "restart_container") &&
    present(signals, "oom_limit_too_low")
  ) {
    const detail = signals.find((s) => s.name === "oom_limit_too_low")?.detail ?? "";
    return { verdict: "refuse", reason: `${action} cannot help: ${detail}` };
  }
  if (
    (action === "restart_container" || action === "kill_container") &&
    present(signals, "swarm_task_exited")
  ) {
    const detail = signals.find((s) => s.name === "swarm_task_exited")?.detail ?? "";
    return { verdict: "refuse", reason: `${action} of a stopped Swarm task: Swarm owns it (${detail})` };
  }
  if (action === "cordon_drain_node" && present(signals, "node_drained")) {
    return { verdict: "refuse", reason: "cordon_drain_node: the node is already cordoned and drained" };
  }
  // The victim of a dependency is not restarted or scaled: the cause is elsewhere (unless it fails on its own too).
  const VICTIM_ACTIONS: ReadonlySet<ActionId> = new Set<ActionId>([
    "restart_pod",
    "restart_container",
    "rollout_restart",
    "scale_deployment",
    "scale_service",
    "add_kafka_consumers",
  ]);
  const dependency = signals.find(
    (s) => (s.name === "dependency_slow" || s.name === "callee_errors") && s.value !== false,
  );
  const ownFault = [
    "crash_loop",
    "oom_killed",
    "exited",
    "health_timeout",
    "stuck_terminating",
    "memory_growth",
  ];
  if (dependency && VICTIM_ACTIONS.has(action) && !ownFault.some((n) => present(signals, n))) {
    return {
      verdict: "refuse",
      reason: `${action} would act on the victim: the symptom comes from ${String(dependency.value)} (${dependency.detail})`,
    };
  }
  // Already handled: a change under way is not met with a second one.
  for (const name of ["node_cordoned", "rollout_in_progress"] as const) {
    const under = signals.find((s) => s.name === name && s.value !== false);
    const ownFailure = [
      "revision_introduced",
      "recent_rollout",
      "latency_began_with_revision",
      "errors_began_with_revision",
    ].some((n) => present(signals, n));
    if (under && !(name === "rollout_in_progress" && ownFailure))
      return { verdict: "refuse", reason: `${action} not taken: ${under.detail}` };
  }

  // The evidence the action treats.
  const treats = TREATS[action];
  const supported =
    treats === "any_failure" ? failing.length > 0 : treats.some((name) => present(signals, name));
  if (supported) {
    if (
      action === "restart_pod" &&
      p.force === true &&
      !["stuck_terminating", "health_timeout"].some((n) => present(signals, n))
    ) {
      return {
        verdict: "approve",
        reason:
          "restart_pod with force (grace period 0) is for a process that ignores the kill or no longer answers; the evidence shows neither",
      };
    }
    return { verdict: "ok" };
  }
  if (present(signals, "healthy") && failing.length === 0) {
    const detail = signals.find((s) => s.name === "healthy")?.detail ?? "";
    return {
      verdict: "refuse",
      reason: `${action} on a target the evidence shows healthy (${detail}): there is nothing for it to fix`,
    };
  }
  const wanted = treats === "any_failure" ? "a failure" : treats.join(" or ");
  const seen = failing.map((s) => s.name).join(", ") || "no failure";
  return {
    verdict: "approve",
    reason: `${action} treats ${wanted}; the evidence shows ${seen}: a person must approve it`,
  };
}

/**
 * The evidence a decision rests on, in plain words: each contribution's signals with what was measured, remembered
 * fixes and runbooks by name. Keys of the contribution map are signal names (joined by "+"), `past_fixes`, `runbook`.
 */
export function basisOf(
  decision: Decision,
  evidence: Evidence,
): Array<{ evidence: string; weight: number; detail: string }> {
  return Object.entries(decision.contributions).map(([key, weight]) => {
    // `dependency:` keys name the dependency's own signals (a decision that acts on it).
    const onDependency = key.startsWith("dependency:");
    const signals = onDependency ? (evidence.dependency?.signals ?? []) : evidence.signals;
    const of = onDependency ? `${evidence.dependency?.target.key ?? "dependency"} ` : "";
    const parts = key
      .replace(/^dependency:/, "")
      .split("+")
      .map((name) => {
        const s = signals.find((x) => x.name === name);
        if (s) return `${of}${s.name}: ${s.detail}`;
        if (name === "past_fixes") return "fixes of similar past incidents (runbook memory)";
        if (name === "runbook") return "the runbook of this failure family";
        return `${name}: not among the investigation's signals`;
      });
    return { evidence: key, weight, detail: parts.join("; ") };
  });
}
