import type { Signal } from "../core/types.ts";

/**
 * The vocabulary of symptoms investigation reports and planners weigh. Platform code turns raw tool
 * output into these; planners never read raw tool output, so both platforms share one planner.
 */
export type SignalName =
  | "oom_killed"
  | "memory_growth"
  | "memory_high"
  | "crash_loop"
  | "config_error"
  | "exited"
  // Docker: the stopped container is a Swarm task; the swarm manager replaces it (value: the replacement's name).
  | "swarm_task_exited"
  // Kubernetes: a Chaos Mesh experiment (or Schedule) acts on the workload's own pods (value: ns/kind/name).
  | "chaos_injected"
  // Kubernetes: a Chaos Mesh experiment acts on other pods of the workload's namespace (value: ns/kind/name).
  | "chaos_nearby"
  // Kubernetes: one replica (value: its pod) logs a degraded process (GC thrash, an exhausted pool); its siblings serve.
  | "pod_degraded"
  | "health_timeout"
  | "health_failing"
  | "http_errors"
  | "slow_responses"
  | "cpu_saturated"
  | "healthy"
  // Kubernetes: the failing pods run the newest revision, which rolled out recently.
  | "recent_rollout"
  // Kubernetes: the newest revision introduced what its pods fail on (an image, a Secret/key, scheduling, a probe).
  | "revision_introduced"
  // Kubernetes (Prometheus history): the newest revision's pods answer far slower than the previous revision's did.
  | "latency_began_with_revision"
  // Kubernetes (Prometheus history): the newest revision's pods answer 5xx far more often than the previous revision's did.
  | "errors_began_with_revision"
  // Kubernetes (Prometheus history): both revisions' pods are about as slow / err about as often: not the release.
  | "latency_predates_revision"
  | "errors_predate_revision"
  // Kubernetes: the kubelet evicted the pod because its node ran short of a resource the pod barely used.
  | "evicted_for_node_pressure"
  // Kubernetes: the pod's name lookups go unanswered and an egress NetworkPolicy selecting it lets no DNS out.
  | "egress_denied_by_policy"
  // Kubernetes: the pods are Pending on a PersistentVolumeClaim that does not exist or is not Bound (value: the claim).
  | "claim_unbound"
  // A crash-looping or failing service's logs: connections to a service it depends on are refused (nothing listens).
  | "dependency_down"
  // Kubernetes: the only revision is OOM-killed again and again, each run short (its limit is below its need).
  | "oom_limit_too_low"
  // Kubernetes: a Secret or ConfigMap the pods read is missing (CreateContainerConfigError, "secret ... not found").
  | "missing_secret"
  | "pods_not_ready"
  // Kubernetes: a pod is still Terminating after its grace period (its process ignores the kill).
  | "stuck_terminating"
  // Kubernetes: behind one Service, the pods of one version fail while another version's pods are healthy.
  | "version_unhealthy"
  // A queue's workers are at the cap the policy (or their HPA's max) sets; and whether a drain hook is configured.
  | "workers_at_cap"
  // Kubernetes: the target's whole region is failing (most nodes NotReady, or every pod of it down); the standby region is not.
  | "region_down"
  | "standby_region_healthy"
  | "queue_drain_available"
  | "node_not_ready"
  | "disk_pressure"
  // Kubernetes: the kubelet reports the node short of memory / process ids (MemoryPressure / PIDPressure True).
  | "memory_pressure"
  | "pid_pressure"
  // Kubernetes: no other node is Ready, schedulable and free of pressure: a drain would have nowhere to move pods.
  | "no_room_elsewhere"
  // Kubernetes: the node is already cordoned and hosts no pods a drain would move.
  | "node_drained"
  // Kubernetes: a consumer group's lag, and how its consumers compare with the topic's partitions.
  | "consumer_lag"
  | "consumers_below_partitions"
  | "consumers_at_partitions"
  // Kubernetes (kafka-exporter per partition): one or a few partitions hold most of the lag, the others are caught up.
  | "lag_on_few_partitions"
  // Kubernetes: clients report slow queries on a database behind a Service; and whether it already runs on its secondary.
  | "db_slow"
  | "db_on_secondary"
  // An upstream API answers 429 (quota exceeded) to the service's calls.
  | "upstream_throttled"
  // Kubernetes: only the pods on one node are slow (a noisy neighbour, CPU steal), or every pod sheds load.
  | "slow_on_one_node"
  | "capacity_saturated"
  | "hpa_at_max"
  | "hpa_scaling"
  // Workers report a growing backlog on a work queue.
  | "queue_backlog"
  // Kubernetes: the working set is high but flat over the sampling window (a warmed cache, not a leak).
  | "memory_plateau"
  // Kubernetes: the leak is in the only revision, which has run for a day or more (value: whole days).
  | "leak_long_running"
  // Kubernetes: calls to another service get no answer / get its server errors; and the callee's pods on one node see their connections stall.
  | "callee_unreachable"
  | "callee_errors"
  // Kubernetes: a pod target fails on a cause in its controller's pod template (value: `kind/name` of the controller).
  | "cause_in_template"
  | "callee_node_lossy"
  // A dependency the workload calls (a database, another service) answers slowly, in several of its log lines.
  | "dependency_slow"
  // Kubernetes: the workload's own pod(s) on one node see their clients' connections stall (that node drops packets).
  | "node_network_lossy"
  // Kubernetes: the Deployment was scaled to zero recently (value: the replicas it ran before), or wants zero with no
  // record of an earlier count.
  | "scaled_to_zero"
  | "replicas_zero"
  // Kubernetes: a rollout (or rollback) is under way and its pods do not fail; a second action would fight it.
  | "rollout_in_progress"
  // Kubernetes: a Service meant for the workload routes nowhere (selector or targetPort differs from its pods).
  | "service_misrouted"
  // Kubernetes: the node is cordoned (by a person or a drain under way) and still hosts pods a drain would move.
  | "node_cordoned"
  // The predictive watcher's seasonal forecast: a ramp is coming that needs more replicas (value: how many).
  | "traffic_ramp_predicted";

/** Build a signal. */
export function signal(name: SignalName, value: Signal["value"], detail: string): Signal {
  return { name, value, detail };
}

/** True when the named signal is present and not false/0. */
export function has(signals: readonly Signal[], name: SignalName): boolean {
  const s = signals.find((x) => x.name === name);
  return s !== undefined && s.value !== false && s.value !== 0;
}

/** The discrete symptom signature used to recall similar past incidents. */
export function signatureOf(signals: readonly Signal[]): string[] {
  return [...new Set(signals.filter((s) => s.value !== false && s.value !== 0).map((s) => s.name))].sort();
}
