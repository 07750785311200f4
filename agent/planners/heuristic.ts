import { FAILURE_FAMILIES, type ActionId, type FailureFamily } from "../../core/catalog.ts";
import type { Decision, Evidence, Signal, Target } from "../../core/types.ts";
import { has, type SignalName } from "../signals.ts";
import { appliesTo } from "./applicability.ts";
import type { Planner, PlannerInput } from "./planner.ts";

interface Rule {
  /** Signals that must all be present for the rule to weigh in. */
  when: SignalName[];
  /** Signals whose presence silences the rule. */
  unless?: SignalName[];
  /**
   * Generic verb, made concrete per platform (restart → restart_container or restart_pod), or a catalog action
   * that only some targets have (the rule is skipped where it does not apply).
   */
  action: "restart" | "kill" | "escalate" | ActionId;
  weight: number;
  family: FailureFamily;
  why: string;
}

/**
 * Evidence → action rules for a single container (or pod). Weights were set so that one strong
 * symptom decides on its own and weak symptoms need company; see test/agent/planners for the cases.
 */
const RULES: Rule[] = [
  {
    when: ["scaled_to_zero"],
    action: "scale_deployment",
    weight: 0.95,
    family: "traffic_spike",
    why: "the deployment was scaled to zero replicas by a recent change and nothing serves; scaling back to the count it ran at before (the deployment controller's own record) restores it",
  },
  {
    when: ["replicas_zero"],
    unless: ["scaled_to_zero"],
    action: "escalate",
    weight: 0.9,
    family: "traffic_spike",
    why: "the deployment wants zero replicas and nothing records a recent change from a running count: someone may have parked it on purpose, so a person decides",
  },
  {
    when: ["service_misrouted"],
    action: "escalate",
    // Outweighs a remembered restart: the pods are fine, the Service in front of them sends traffic nowhere.
    weight: 1.1,
    family: "http_5xx",
    why: "the pods run, but the Service meant for them routes nowhere (its selector or targetPort differs from the pods; the diff is in the evidence); no catalog action edits a Service, so a person fixes it: restarting or scaling the pods would change nothing",
  },
  {
    when: ["rollout_in_progress"],
    unless: [
      "revision_introduced",
      "recent_rollout",
      "crash_loop",
      "oom_limit_too_low",
      "missing_secret",
      "latency_began_with_revision",
      "errors_began_with_revision",
    ],
    action: "escalate",
    // Already handled: outweighs any symptom of the pods being replaced (and a remembered fix of it).
    weight: 1.2,
    family: "crashloop",
    why: "a rollout (or rollback) of the deployment is already under way and its new pods do not fail; a second action would fight it, so none is taken while it completes",
  },
  {
    when: ["evicted_for_node_pressure"],
    action: "escalate",
    // Outweighs a remembered restart of the pod: the pod is the victim, its node is the cause.
    weight: 1.0,
    family: "disk_pressure",
    why: "the kubelet evicted this pod because its node ran short of a resource the pod barely used; the node is the cause (named as the root cause) and its own incident (a drain when its evidence supports one) handles it, while restarting or recreating the pod would only land it back under the same pressure",
  },
  {
    when: ["egress_denied_by_policy"],
    action: "escalate",
    // Outweighs the crash loop it causes (and a remembered restart): a new pod meets the same policy.
    weight: 1.2,
    family: "packet_loss",
    why: "the pod's name lookups get no answer because an egress NetworkPolicy selecting it lets no DNS out (named as the root cause); no catalog action edits a NetworkPolicy, and restarting, re-creating or rolling back the pod meets the same policy, so a person fixes the policy",
  },
  {
    when: ["node_cordoned"],
    action: "escalate",
    weight: 1.2,
    family: "node_not_ready",
    why: "the node is already cordoned (a person or a drain under way took it out of scheduling); a second cordon and drain would add nothing, a person follows the one under way",
  },
  {
    when: ["revision_introduced"],
    action: "rollback_deployment",
    // Outweighs the missing-Secret escalation: here the previous revision did not need what is missing.
    weight: 0.97,
    family: "crashloop",
    why: "the newest revision introduced what its pods fail on (compared with the previous revision's spec) while the previous revision ran without it; rolling back restores the last good release",
  },
  {
    when: ["errors_began_with_revision"],
    unless: ["crash_loop", "missing_secret", "upstream_throttled"],
    action: "rollback_deployment",
    weight: 0.9,
    family: "http_5xx",
    why: "the newest revision's pods answer with server errors far more often than the previous revision's pods did under the same traffic (Prometheus history, per pod); the errors came with the release, so rolling back restores the last good one",
  },
  {
    when: ["latency_began_with_revision"],
    unless: ["crash_loop", "missing_secret"],
    action: "rollback_deployment",
    weight: 0.9,
    family: "latency_p95",
    why: "the newest revision's pods answer far more slowly than the previous revision's pods did under the same traffic (Prometheus history, per pod); the slowness came with the release, so rolling back restores the last fast one, while scaling out or restarting would keep the slow code",
  },
  {
    when: ["errors_predate_revision"],
    action: "escalate",
    // Outweighs a bare restart of the symptom (with its runbook), not a cause the evidence names (from 0.6 up).
    weight: 0.58,
    family: "http_5xx",
    why: "Prometheus history shows the server errors, but the previous revision's pods answered as many under the same traffic: the release did not bring them, so a rollback would change nothing, and nothing in the evidence names a cause a catalog action fixes; a person looks at the service's dependencies and inputs",
  },
  {
    when: ["latency_predates_revision"],
    action: "escalate",
    weight: 0.58,
    family: "latency_p95",
    why: "Prometheus history shows the slowness, but the previous revision's pods answered as slowly under the same traffic: the release did not bring it, so a rollback would change nothing, and nothing in the evidence names a cause a catalog action fixes (one slow node, a slow dependency, saturation); a person looks",
  },
  {
    when: ["missing_secret"],
    unless: ["revision_introduced"],
    action: "escalate",
    weight: 0.95,
    family: "crashloop",
    why: "a Secret (or ConfigMap) the pods read is missing; restarting makes it worse (new pods cannot even start) and a rollback does not bring it back",
  },
  {
    when: ["claim_unbound"],
    action: "escalate",
    // Outweighs a remembered restart or rollback: a new pod or an old revision waits on the same claim.
    weight: 1.1,
    family: "crashloop",
    why: "the pods cannot be scheduled because a PersistentVolumeClaim they mount does not exist or is not Bound (named as the root cause, with the volume that holds on to an earlier claim when there is one); no catalog action binds a claim, and restarting, re-creating or rolling back the pods meets the same claim, so a person fixes the claim or its volume",
  },
  {
    when: ["dependency_down"],
    unless: ["revision_introduced"],
    action: "escalate",
    // Outweighs the rollback of a recent revision and a remembered restart: the service it needs is down.
    weight: 1.05,
    family: "crashloop",
    why: "a service this one needs refuses its connections (nothing listens there, and that service's own pods do not serve); restarting or rolling back this service would fail the same way, so the dependency is where the cause is (named, with its own evidence)",
  },
  {
    when: ["crash_loop", "recent_rollout"],
    unless: ["missing_secret"],
    action: "rollback_deployment",
    weight: 0.9,
    family: "crashloop",
    why: "the crash loop began with the newest revision while the previous one ran; rolling back restores the last good release",
  },
  {
    when: ["oom_killed", "recent_rollout"],
    unless: ["missing_secret"],
    action: "rollback_deployment",
    weight: 0.92,
    family: "oom_killed",
    why: "the OOM kills began with the newest revision (a leak in the release); a restart only buys time",
  },
  {
    when: ["callee_unreachable", "callee_node_lossy"],
    unless: ["crash_loop"],
    action: "recreate_pod_elsewhere",
    weight: 0.85,
    family: "packet_loss",
    why: "calls to another service time out, and only that service's pod on one node sees its connections stall (the node drops packets); recreating that pod on another node heals the path, restarting the caller would not",
  },
  {
    when: ["node_network_lossy"],
    unless: ["callee_unreachable", "crash_loop"],
    action: "recreate_pod_elsewhere",
    weight: 0.8,
    family: "packet_loss",
    why: "only this service's pod(s) on one node see their clients' connections stall (that node's network drops packets); recreating the pod on another node heals it, a restart could land on the same node",
  },
  {
    when: ["callee_unreachable"],
    unless: ["callee_node_lossy", "crash_loop"],
    action: "escalate",
    weight: 0.5,
    family: "packet_loss",
    why: "calls to another service time out, but no single node of it shows the loss; the network path needs a person",
  },
  {
    when: ["callee_errors"],
    unless: ["callee_unreachable", "crash_loop"],
    action: "escalate",
    // Outweighs a remembered restart of the caller: the fault is in the service it calls.
    weight: 0.85,
    family: "http_5xx",
    why: "the service this one calls answers with its own server errors (a bug there, not the network or this service); acting here would not help: the callee's own incident (a rollback when it has a new release) fixes it",
  },
  {
    when: ["dependency_slow"],
    // A slow dependency slows every pod alike: only some pods slow (one node) points at them, not at it.
    unless: ["slow_on_one_node", "crash_loop", "db_slow"],
    action: "escalate",
    // Outweighs more consumers, more replicas or a restart of this service: none of them makes the dependency faster.
    weight: 0.95,
    family: "latency_p95",
    why: "this service waits on a dependency that answers slowly (named in the evidence); the dependency's own incident acts on it (a database failover when its own evidence supports one), while restarting or scaling this service would only add load to it",
  },
  {
    when: ["memory_plateau"],
    unless: ["memory_growth", "oom_killed", "crash_loop"],
    action: "escalate",
    // Outweighs a remembered restart or rollback of a real leak: here nothing grows, so neither would help.
    weight: 0.8,
    family: "memory_leak",
    why: "the working set is high but flat in every pod (a filled cache, not a leak); a restart would only empty the cache for a while and a rollback fixes nothing, so no action: a person may raise the limit if the headroom is too small",
  },
  {
    when: ["memory_growth", "leak_long_running"],
    unless: ["crash_loop", "recent_rollout", "oom_limit_too_low"],
    action: "rollout_restart",
    weight: 0.7,
    family: "memory_leak",
    why: "every pod of a revision that has run for days leaks toward its limit: a rollout restart replaces them one at a time (no downtime) and buys about as long again; it does not fix the leak, which needs a release (a ticket for the owners)",
  },
  {
    when: ["memory_growth", "recent_rollout"],
    action: "rollback_deployment",
    weight: 0.6,
    family: "memory_leak",
    why: "memory growth began with the newest revision",
  },
  {
    when: ["node_not_ready"],
    unless: ["node_drained", "node_cordoned"],
    action: "cordon_drain_node",
    weight: 0.9,
    family: "node_not_ready",
    why: "the node is NotReady and still hosts workload pods; cordon it and move them (disruption budgets respected)",
  },
  {
    when: ["disk_pressure"],
    unless: ["node_drained", "node_cordoned"],
    action: "cordon_drain_node",
    weight: 0.8,
    family: "disk_pressure",
    why: "the node is under disk pressure from its pods; draining lets the kubelet reclaim space",
  },
  {
    when: ["memory_pressure"],
    unless: ["node_drained", "node_cordoned", "no_room_elsewhere", "node_not_ready"],
    action: "cordon_drain_node",
    weight: 0.8,
    family: "node_not_ready",
    why: "the kubelet reports the node under memory pressure (it is evicting pods, and new ones keep landing there); cordoning it and draining its pods to nodes with room stops the evictions (disruption budgets respected)",
  },
  {
    when: ["pid_pressure"],
    unless: ["node_drained", "node_cordoned", "no_room_elsewhere", "node_not_ready"],
    action: "cordon_drain_node",
    weight: 0.8,
    family: "node_not_ready",
    why: "the kubelet reports the node out of process ids (PIDPressure: new processes fail to start there); cordoning it and draining its pods to nodes with room restores them (disruption budgets respected)",
  },
  {
    when: ["no_room_elsewhere"],
    unless: ["node_drained", "node_cordoned"],
    action: "escalate",
    // Outweighs a drain for pressure: with no node to move to, the drained pods would stay Pending.
    weight: 0.9,
    family: "node_not_ready",
    why: "the node is under pressure, but no other node is Ready, schedulable and free of pressure: a drain would leave its pods Pending, so a person adds capacity or sheds load",
  },
  {
    when: ["consumer_lag", "consumers_below_partitions"],
    unless: ["crash_loop", "lag_on_few_partitions"],
    action: "add_kafka_consumers",
    weight: 0.8,
    family: "kafka_lag",
    why: "the consumer group lags and some partitions have no consumer of their own; more consumers (up to the partition count) add throughput",
  },
  {
    when: ["consumer_lag", "consumers_at_partitions"],
    action: "escalate",
    // A hard contraindication: it must outweigh a remembered add_kafka_consumers fix of a group that was short.
    weight: 0.9,
    family: "kafka_lag",
    why: "the consumer group lags but every partition already has a consumer; more would sit idle, so the consumers themselves or the producers need a person",
  },
  {
    when: ["consumer_lag", "lag_on_few_partitions"],
    action: "escalate",
    // A hard contraindication, as above: it must outweigh a remembered add_kafka_consumers fix.
    weight: 0.95,
    family: "kafka_lag",
    why: "the lag sits on one partition (or a few) while the others are caught up: a hot key; a partition is read by one consumer of the group, so more consumers cannot help and the producers' keys (or the partitioning) must change",
  },
  {
    when: ["http_errors", "recent_rollout"],
    unless: ["crash_loop", "upstream_throttled", "errors_predate_revision"],
    action: "rollback_deployment",
    weight: 0.8,
    family: "http_5xx",
    why: "the server errors began with the newest revision; rolling back restores the last good release",
  },
  {
    when: ["region_down", "standby_region_healthy"],
    action: "failover_region",
    weight: 0.95,
    family: "node_not_ready",
    why: "the whole region is failing (most of its nodes, or every pod of the service) while the standby region is healthy; failing over moves the traffic to a region that can serve it",
  },
  {
    when: ["region_down"],
    unless: ["standby_region_healthy"],
    action: "escalate",
    weight: 0.9,
    family: "node_not_ready",
    why: "the whole region is failing and no healthy standby region is configured; a person must decide",
  },
  {
    when: ["version_unhealthy"],
    action: "reroute_traffic",
    weight: 0.85,
    family: "http_5xx",
    why: "behind one Service only the pods of one version fail while another version's pods are healthy; sending all traffic to the healthy version stops the failures at once (a restart keeps the bad version)",
  },
  {
    when: ["upstream_throttled"],
    unless: ["crash_loop"],
    action: "rate_limit_traffic",
    weight: 0.75,
    family: "upstream_throttling",
    why: "an upstream API answers 429 (quota exceeded) to this service's calls; limiting inbound traffic keeps the calls within the quota, more replicas would not",
  },
  {
    when: ["slow_on_one_node"],
    unless: ["crash_loop", "capacity_saturated"],
    action: "recreate_pod_elsewhere",
    weight: 0.8,
    family: "latency_p95",
    why: "only the pod(s) on one node are slow while the same pods elsewhere are not (a noisy neighbour); moving them off that node helps, more replicas would not",
  },
  {
    when: ["capacity_saturated"],
    unless: ["crash_loop", "hpa_at_max", "hpa_scaling"],
    action: "scale_deployment",
    weight: 0.7,
    family: "traffic_spike",
    why: "every pod sheds load: offered traffic exceeds the deployment's capacity; more replicas add capacity",
  },
  {
    when: ["traffic_ramp_predicted"],
    unless: ["crash_loop", "hpa_at_max", "capacity_saturated"],
    action: "scale_deployment",
    weight: 0.6,
    family: "traffic_spike",
    why: "the seasonal forecast sees a traffic ramp the running replicas cannot serve within their SLO; adding the replicas it needs before the ramp arrives keeps users from feeling it",
  },
  {
    when: ["traffic_ramp_predicted", "hpa_at_max"],
    unless: ["crash_loop"],
    action: "raise_hpa_limits",
    weight: 0.65,
    family: "traffic_spike",
    why: "the seasonal forecast sees a traffic ramp beyond the HPA's max; raising its limits lets it scale for the ramp (scaling by hand would be undone by the HPA)",
  },
  {
    when: ["capacity_saturated", "hpa_at_max"],
    unless: ["crash_loop"],
    action: "raise_hpa_limits",
    weight: 0.8,
    family: "traffic_spike",
    why: "every pod sheds load and the HPA is already at its max; raising its limits lets it add capacity (scaling by hand would be undone by the HPA)",
  },
  {
    when: ["queue_backlog", "workers_at_cap", "queue_drain_available"],
    unless: ["crash_loop"],
    action: "drain_queue",
    weight: 0.85,
    family: "queue_depth",
    why: "the queue grows while its workers are already at their cap, so more workers are not an option; the configured drain hook moves the backlog off the queue",
  },
  {
    when: ["queue_backlog", "workers_at_cap"],
    unless: ["crash_loop", "queue_drain_available"],
    action: "escalate",
    weight: 0.8,
    family: "queue_depth",
    why: "the queue grows while its workers are already at their cap and no drain hook is configured; a person must decide what to shed",
  },
  {
    when: ["queue_backlog"],
    unless: ["crash_loop", "consumer_lag", "hpa_scaling", "hpa_at_max", "workers_at_cap"],
    action: "scale_deployment",
    weight: 0.7,
    family: "queue_depth",
    why: "the workers report a growing queue while they run healthy: arrivals outpace them, more workers drain it",
  },
  {
    when: ["db_slow"],
    unless: ["db_on_secondary"],
    action: "failover_database",
    weight: 0.85,
    family: "db_latency",
    why: "clients report slow queries on the database instance the Service selects; failing over to the secondary moves them off it",
  },
  {
    when: ["db_slow", "db_on_secondary"],
    action: "escalate",
    weight: 0.9,
    family: "db_latency",
    why: "the database is slow but already runs on its secondary; there is nothing left to fail over to",
  },
  {
    when: ["config_error", "crash_loop"],
    unless: ["recent_rollout"],
    action: "escalate",
    weight: 0.95,
    family: "crashloop",
    why: "the process exits at start-up with a configuration error; restarting cannot fix it",
  },
  {
    when: ["config_error", "exited"],
    unless: ["oom_killed"],
    action: "escalate",
    weight: 0.9,
    family: "crashloop",
    why: "the process exited with a configuration error; restarting cannot fix it",
  },
  {
    when: ["crash_loop"],
    unless: ["config_error", "oom_killed", "recent_rollout", "missing_secret"],
    action: "escalate",
    weight: 0.5,
    family: "crashloop",
    why: "the container keeps crashing and its runtime is already restarting it; another restart adds nothing",
  },
  {
    when: ["oom_limit_too_low"],
    unless: ["recent_rollout"],
    action: "escalate",
    weight: 0.9,
    family: "oom_killed",
    why: "the only revision is OOM-killed again and again within minutes of starting: its memory limit is below what it needs, so a restart ends the same way; a person must raise the limit (or fix the release)",
  },
  {
    when: ["oom_killed"],
    unless: ["recent_rollout", "oom_limit_too_low"],
    action: "restart",
    weight: 0.6,
    family: "oom_killed",
    why: "the kernel OOM-killed the process",
  },
  {
    when: ["memory_growth"],
    unless: ["crash_loop", "recent_rollout"],
    action: "restart",
    weight: 0.45,
    family: "memory_leak",
    why: "memory keeps growing",
  },
  {
    when: ["memory_high"],
    unless: ["crash_loop"],
    action: "restart",
    weight: 0.25,
    family: "memory_leak",
    why: "memory is close to its limit",
  },
  {
    when: ["stuck_terminating"],
    action: "kill",
    weight: 0.85,
    family: "hung_service",
    why: "a pod is still Terminating after its grace period: its process ignores the kill, so only a forced delete (grace period 0) lets its replacement take over",
  },
  {
    when: ["health_timeout"],
    unless: ["crash_loop", "exited"],
    action: "kill",
    weight: 0.6,
    family: "hung_service",
    why: "the process is alive but its health check hangs; a hung process may ignore SIGTERM",
  },
  {
    when: ["health_failing"],
    unless: ["crash_loop", "config_error", "exited", "health_timeout", "http_errors", "recent_rollout"],
    action: "restart",
    weight: 0.45,
    family: "http_5xx",
    why: "the process runs but its health URL keeps failing (refused, closed without an answer, a TLS failure or an error status on repeated probes): the service inside is broken, and a restart brings it back",
  },
  {
    when: ["http_errors"],
    unless: ["crash_loop", "config_error", "recent_rollout"],
    action: "restart",
    weight: 0.4,
    family: "http_5xx",
    why: "the service answers with server errors",
  },
  {
    when: ["slow_responses"],
    unless: ["health_timeout", "crash_loop"],
    action: "restart",
    weight: 0.35,
    family: "latency_p95",
    why: "the service answers, but slowly",
  },
  {
    when: ["cpu_saturated"],
    unless: ["crash_loop", "health_timeout"],
    action: "restart",
    weight: 0.35,
    family: "latency_p95",
    why: "the process burns a whole CPU without more work to show for it (a runaway loop)",
  },
  {
    when: ["pod_degraded"],
    unless: ["crash_loop", "chaos_injected"],
    action: "restart",
    weight: 0.7,
    family: "latency_p95",
    why: "one replica is degraded in its own process (back-to-back garbage collections, or a connection pool with every connection leaked) while its siblings serve normally: restarting that one pod clears the state, and the revision and the capacity are not at fault",
  },
  {
    when: ["chaos_injected"],
    action: "escalate",
    // Outweighs any action on the symptoms: they are injected on purpose and end with the experiment.
    weight: 1.2,
    family: "http_5xx",
    why: "a Chaos Mesh experiment (or the Schedule that starts it) is breaking these pods on purpose: restarting, scaling or rolling back would fight the experiment and hide what it tests, and the failure ends when the experiment is deleted or paused, which is for whoever runs it (named as the root cause)",
  },
  {
    when: ["swarm_task_exited"],
    action: "escalate",
    // Outweighs a restart from any symptom or a remembered fix: the container is not the engine's to start again.
    weight: 1.1,
    family: "crashloop",
    why: "the stopped container is a Swarm task: the swarm manager replaces a failed task with a new one in its slot and never adopts the old container again, so starting it by hand would run a copy Swarm does not manage; why the task died (its exit, OOM or logs, in the evidence) is for a person",
  },
  {
    when: ["exited"],
    unless: ["config_error", "crash_loop"],
    action: "restart",
    weight: 0.5,
    family: "crashloop",
    why: "the container has stopped",
  },
];

/** Platform-specific action for the generic verbs the rules use. */
function concreteAction(verb: "restart" | "kill", target: Target): ActionId {
  const k8s = target.kind === "k8s_workload";
  if (verb === "restart") return k8s ? "restart_pod" : "restart_container";
  return k8s ? "restart_pod" : "kill_container";
}

/**
 * High-risk actions that only make sense with their own evidence: a remembered fix alone never proposes them
 * (rerouting with no healthy version, draining a queue workers could catch up with, leaving a healthy region).
 */
const REQUIRES: Partial<Record<ActionId, SignalName>> = {
  reroute_traffic: "version_unhealthy",
  drain_queue: "queue_drain_available",
  failover_region: "standby_region_healthy",
};

const MIN_SCORE = 0.3;
/**
 * A verified fix of a very similar incident outweighs one symptom rule plus the static runbook; a fix
 * that failed on similar incidents pulls its action down by as much.
 */
const PAST_FIX_WEIGHT = 0.7;
/** The recalled runbook's recommendation only seconds an action the evidence already points at. */
const RUNBOOK_WEIGHT = 0.15;

interface Entry {
  score: number;
  parts: Record<string, number>;
  family: FailureFamily;
  top: number;
  why: string[];
}

/** Actions a signal rules out whatever else weighs for them (rules, runbooks, remembered fixes). */
const RULED_OUT: Partial<Record<ActionId, readonly SignalName[]>> = {
  // Swarm replaces a stopped task's container; it never adopts one started by hand.
  restart_container: ["swarm_task_exited"],
  kill_container: ["swarm_task_exited"],
};
const ruledOut = (action: string, signals: readonly Signal[]): boolean =>
  RULED_OUT[action as ActionId]?.some((n) => has(signals, n)) ?? false;

/** The rules that weigh in on these signals, summed per action (generic verbs made concrete for the target). */
function scoreRules(signals: readonly Signal[], target: Target): Map<string, Entry> {
  const scores = new Map<string, Entry>();
  for (const rule of RULES) {
    if (!rule.when.every((n) => has(signals, n))) continue;
    if (rule.unless?.some((n) => has(signals, n))) continue;
    const key =
      rule.action === "escalate"
        ? "escalate"
        : rule.action === "restart" || rule.action === "kill"
          ? concreteAction(rule.action, target)
          : rule.action;
    if (key !== "escalate" && (!appliesTo(key, target) || ruledOut(key, signals))) continue;
    const entry = scores.get(key) ?? { score: 0, parts: {}, family: rule.family, top: 0, why: [] };
    entry.score += rule.weight;
    entry.parts[rule.when.join("+")] = (entry.parts[rule.when.join("+")] ?? 0) + rule.weight;
    // The family is that of the strongest symptom behind the action.
    if (rule.weight > entry.top) {
      entry.top = rule.weight;
      entry.family = rule.family;
    }
    entry.why.push(rule.why);
    scores.set(key, entry);
  }
  return scores;
}

/** The no-network planner: weighs signals and remembered fixes. Deterministic for the same input. */
export class HeuristicPlanner implements Planner {
  readonly name = "heuristic" as const;

  async decide({ target, evidence, recalled }: PlannerInput): Promise<Decision> {
    const signals = evidence.signals;
    const scores = scoreRules(signals, target);

    // Remembered outcomes of similar incidents weigh in: verified fixes up (they may propose an action the
    // rules did not, when there is a failure to fix), failed ones down. Runbooks only second the rules.
    const failing = signals.some((s) => s.name !== "healthy" && s.value !== false && s.value !== 0);
    for (const fix of recalled) {
      if (fix.action === "none" || !appliesTo(fix.action, target) || ruledOut(fix.action, signals)) continue;
      let entry = scores.get(fix.action);
      if (fix.source === "runbook") {
        if (!entry) continue;
        const delta = RUNBOOK_WEIGHT * Math.min(1, fix.similarity);
        entry.score += delta;
        entry.parts["runbook"] = (entry.parts["runbook"] ?? 0) + delta;
        entry.why.push(`the runbook ${fix.family ?? "of this family"} recommends it`);
        continue;
      }
      const total = fix.verified + fix.failed;
      if (total === 0) continue;
      const net = fix.evidence ?? (fix.verified - fix.failed) / total;
      const delta = PAST_FIX_WEIGHT * fix.similarity * net;
      if (!entry) {
        if (delta <= 0 || !failing || !isFamily(fix.family)) continue;
        const needs = REQUIRES[fix.action];
        if (needs && !has(signals, needs)) continue;
        entry = { score: 0, parts: {}, family: fix.family, top: 0, why: [] };
        scores.set(fix.action, entry);
      }
      entry.score += delta;
      entry.parts["past_fixes"] = (entry.parts["past_fixes"] ?? 0) + delta;
      if (delta > entry.top && isFamily(fix.family)) {
        entry.top = delta;
        entry.family = fix.family;
      }
      entry.why.push(
        `${fix.verified} verified / ${fix.failed} failed past fix(es) of similar incidents (similarity ${fix.similarity.toFixed(2)})`,
      );
    }

    const ranked = [...scores.entries()].sort((a, b) => b[1].score - a[1].score);
    const best = ranked[0];
    const targetName = describeTarget(target);
    if (!best || best[1].score < MIN_SCORE) {
      const chaos = chaosRef(signals);
      return {
        action: "none",
        target: chaos ?? targetName,
        params: {},
        confidence: 0.5,
        rationale: healthyOrUnclear(signals) + (chaos ? ` ${chaosNote(signals)}` : ""),
        contributions: {},
        planner: "heuristic",
        model: null,
        promptVersion: null,
        disposition: "escalate",
      };
    }
    const [key, entry] = best;
    const runnerUp = ranked[1]?.[1].score ?? 0;
    const confidence = Math.min(0.99, 0.5 + entry.score / 2 - runnerUp / 4);
    const base = {
      target: rootCauseOf(entry.family, signals, target, key) ?? targetName,
      params: {},
      confidence: round(Math.max(0.05, confidence)),
      rationale: capitalise(entry.why.join("; ")) + ".",
      family: entry.family,
      contributions: normalise(entry.parts),
      planner: "heuristic" as const,
      model: null,
      promptVersion: null,
    };
    const notes = ticketNotes(key, signals);
    if (notes) Object.assign(base, { notes });
    const region = regionDown(entry.family, signals);
    if (key === "escalate") {
      // The cause an escalation names when it is not the target: a failing region, a chaos experiment.
      const named = region ?? chaosRef(signals);
      const cause = restsOnDependency(evidence, entry) ? dependencyCause(evidence.dependency!) : undefined;
      return (
        onDependency(evidence, entry) ?? {
          ...base,
          ...(cause ? { target: cause.target, rationale: `${base.rationale} ${cause.why}`.trim() } : {}),
          ...(!cause && named ? { target: named } : {}),
          action: "none",
          disposition: "escalate",
        }
      );
    }
    const params = { ...killParams(key, target, signals), ...scaleParams(key, signals) };
    // The one pod a forced restart acts on is the cause people look at (the Deployment stays the target acted on).
    const pod =
      typeof params.pod === "string" && target.kind === "k8s_workload"
        ? `${target.namespace}/pod/${params.pod}`
        : undefined;
    const rootCause = region ?? pod;
    return { ...base, action: key as ActionId, params, ...(rootCause ? { rootCause } : {}) };
  }
}

/** The Chaos Mesh experiment (or Schedule) an escalation names as the cause, when one acts on or near the target. */
function chaosRef(signals: readonly Signal[]): string | undefined {
  const own = signals.find((s) => s.name === "chaos_injected")?.value;
  const near = signals.find((s) => s.name === "chaos_nearby")?.value;
  return typeof own === "string" ? own : typeof near === "string" ? near : undefined;
}

/** What a Chaos Mesh signal says, for a rationale that names the experiment. */
function chaosNote(signals: readonly Signal[]): string {
  return signals.find((s) => s.name === "chaos_injected" || s.name === "chaos_nearby")?.detail ?? "";
}

/** The failing region a region-wide decision rests on (`region/<name>`), named apart from the object acted on. */
function regionDown(family: FailureFamily, signals: readonly Signal[]): string | undefined {
  const region = signals.find((s) => s.name === "region_down")?.value;
  return family === "node_not_ready" && typeof region === "string" ? `region/${region}` : undefined;
}

/** Whether the victim's escalation rests mainly on the signal that names its (observed) dependency. */
function restsOnDependency(evidence: Evidence, victim: Entry): boolean {
  const dep = evidence.dependency;
  const viaWeight = dep ? (victim.parts[dep.via] ?? 0) : 0;
  return viaWeight > 0 && Math.max(...Object.values(victim.parts)) <= viaWeight;
}

/** A stopgap's follow-up, worth a ticket: the restart of a long-running leak buys time, the fix is a release. */
function ticketNotes(action: string, signals: readonly Signal[]): string[] | undefined {
  const leak = signals.find((s) => s.name === "leak_long_running");
  if (action !== "rollout_restart" || !leak || !has(signals, "memory_growth")) return undefined;
  return [
    `Ticket: a memory leak in the running release buys time only until it fills the pods again. ${capitalise(leak.detail)}; ` +
      `${signals.find((s) => s.name === "memory_growth")?.detail ?? ""}. The restart is a stopgap: the owners should find and release a fix.`,
  ];
}

/**
 * What an escalation resting on a dependency names: the dependency, or the root cause its own evidence names (a
 * claim its pods wait on, a NetworkPolicy, a node), with that evidence's reason.
 */
function dependencyCause(dep: NonNullable<Evidence["dependency"]>): { target: string; why: string } {
  const name = describeTarget(dep.target);
  const [key, entry] =
    [...scoreRules(dep.signals, dep.target).entries()].sort((a, b) => b[1].score - a[1].score)[0] ?? [];
  const cause = entry ? rootCauseOf(entry.family, dep.signals, dep.target, key ?? "") : undefined;
  if (!entry || key !== "escalate" || !cause) return { target: name, why: "" };
  const behind = new Set(Object.keys(entry.parts).flatMap((k) => k.split("+")));
  const details = dep.signals.filter((s) => behind.has(s.name)).map((s) => s.detail);
  return {
    target: cause,
    why: `The evidence of ${name}, read on its own: ${entry.why.join("; ")} (${details.join("; ")}).`,
  };
}

/** A dependency's own evidence must decide this strongly (a new revision's failure, not one weak symptom). */
const DEPENDENCY_MIN_SCORE = 0.8;

/**
 * The victim of a dependency is not acted on; the dependency is, when its own evidence, read by the same rules as
 * if it were the incident's target, decides an action strongly (e.g. its newest revision fails and the previous
 * ran: a rollback of it). Undefined when the victim's escalation does not rest on the dependency, or the
 * dependency's own evidence supports no action (then the escalation names it).
 */
function onDependency(evidence: Evidence, victim: Entry): Decision | undefined {
  const dep = evidence.dependency;
  const via = evidence.signals.find((s) => s.name === dep?.via);
  if (!dep || !via || !restsOnDependency(evidence, victim)) return undefined;
  const viaWeight = victim.parts[dep.via]!;
  const ranked = [...scoreRules(dep.signals, dep.target).entries()].sort((a, b) => b[1].score - a[1].score);
  const [key, entry] = ranked[0] ?? [];
  if (!key || !entry || key === "escalate" || entry.score < DEPENDENCY_MIN_SCORE) return undefined;
  if (has(dep.signals, "healthy")) return undefined;
  const name = describeTarget(dep.target);
  const runnerUp = ranked[1]?.[1].score ?? 0;
  const parts: Record<string, number> = { [dep.via]: viaWeight };
  for (const [k, v] of Object.entries(entry.parts)) parts[`dependency:${k}`] = v;
  return {
    action: key as ActionId,
    target: name,
    actsOn: dep.target,
    params: { ...killParams(key, dep.target, dep.signals), ...scaleParams(key, dep.signals) },
    confidence: round(Math.max(0.05, Math.min(0.99, 0.5 + entry.score / 2 - runnerUp / 4))),
    rationale:
      `The symptom here comes from ${name} (${via.detail}), so this service is not acted on; ${name}'s own evidence: ` +
      `${entry.why.join("; ")}.`,
    family: entry.family,
    contributions: normalise(parts),
    planner: "heuristic",
    model: null,
    promptVersion: null,
  };
}

/**
 * A hung process may ignore SIGTERM: on Kubernetes the `kill` verb is `restart_pod` with `force` (grace period 0),
 * aimed at the pod the hung or stuck signal names.
 */
function killParams(action: string, target: Target, signals: readonly Signal[]): Record<string, unknown> {
  if (action !== "restart_pod" || target.kind !== "k8s_workload") return {};
  const s = signals.find((x) => (x.name === "stuck_terminating" || x.name === "health_timeout") && x.value);
  const degraded = signals.find((x) => x.name === "pod_degraded")?.value;
  if (!s) return typeof degraded === "string" ? { pod: degraded } : {};
  return { force: true, ...(typeof s.value === "string" ? { pod: s.value } : {}) };
}

/**
 * Scaling back from zero: the count it ran at before; for a predicted ramp: the replicas the forecast needs (the
 * platform's own step otherwise).
 */
function scaleParams(action: string, signals: readonly Signal[]): Record<string, unknown> {
  if (action !== "scale_deployment" && action !== "scale_service") return {};
  const needed =
    signals.find((s) => s.name === "scaled_to_zero")?.value ??
    signals.find((s) => s.name === "traffic_ramp_predicted")?.value;
  return typeof needed === "number" && Number.isInteger(needed) && needed >= 1 ? { replicas: needed } : {};
}

/** Packet loss seen from a caller: the cause (and the pod acted on) is the callee the caller's logs name. */
function rootCauseOf(
  family: FailureFamily,
  signals: readonly Signal[],
  t: Target,
  action: string,
): string | undefined {
  const claim = signals.find((s) => s.name === "claim_unbound")?.value;
  if (typeof claim === "string" && t.kind === "k8s_workload")
    return `${t.namespace}/persistentvolumeclaim/${claim}`;
  const policy = signals.find((s) => s.name === "egress_denied_by_policy")?.value;
  if (typeof policy === "string" && t.kind === "k8s_workload")
    return `${t.namespace}/networkpolicy/${policy}`;
  const evicted = signals.find((s) => s.name === "evicted_for_node_pressure")?.value;
  // Handed to a person: a missing Secret/ConfigMap is the cause of the pods that read it, and a template's
  // limit or config is its controller's (an action still goes to the target it acts on).
  const missing = signals.find((s) => s.name === "missing_secret")?.value;
  const owner = signals.find((s) => s.name === "cause_in_template")?.value;
  if (action === "escalate" && t.kind === "k8s_workload") {
    if (typeof missing === "string") return `${t.namespace}/${missing}`;
    if (typeof owner === "string") return `${t.namespace}/${owner}`;
  }
  if (family === "disk_pressure" && typeof evicted === "string") return `node/${evicted}`;
  const callee = signals.find((s) => s.name === "callee_unreachable")?.value;
  if (family !== "packet_loss" || t.kind !== "k8s_workload" || typeof callee !== "string") return undefined;
  return has(signals, "callee_node_lossy") ? `${t.namespace}/service/${callee}` : undefined;
}

function healthyOrUnclear(signals: readonly Signal[]): string {
  if (has(signals, "healthy")) {
    return "The target looks healthy now (running, health check passing, no errors): nothing to fix; a person should check the alert.";
  }
  return "No evidence of a failure a catalog action can fix; handing over to a person.";
}

function describeTarget(t: Target): string {
  switch (t.kind) {
    case "docker_container":
      return t.name;
    case "docker_service":
      return t.service;
    case "k8s_workload":
      return `${t.namespace}/${t.workload}/${t.name}`;
    case "k8s_node":
      return `node/${t.name}`;
    case "k8s_ref":
      return `${t.namespace ? `${t.namespace}/` : ""}${t.resource}/${t.name}`;
    case "unresolved":
      return t.key;
  }
}

function normalise(parts: Record<string, number>): Record<string, number> {
  const positive = Object.entries(parts).filter(([, v]) => v > 0);
  const total = positive.reduce((s, [, v]) => s + v, 0);
  return Object.fromEntries(positive.map(([k, v]) => [k, round(v / total)]));
}

const isFamily = (f: string | null | undefined): f is FailureFamily =>
  typeof f === "string" && (FAILURE_FAMILIES as readonly string[]).includes(f);
const round = (n: number) => Math.round(n * 100) / 100;
const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export { describeTarget };
