/** Canonical action ids, their risk tiers and the failure families (DESIGN.md §3). */

export const RISK_TIERS = ["low", "medium", "high"] as const;
export type RiskTier = (typeof RISK_TIERS)[number];

/** Every action AegisOps may ever take, with its risk tier. `none` takes no action. */
export const ACTION_RISK = {
  restart_container: "low",
  kill_container: "low",
  scale_service: "medium",
  restart_pod: "low",
  rollout_restart: "low",
  recreate_pod_elsewhere: "low",
  scale_deployment: "medium",
  raise_hpa_limits: "medium",
  add_kafka_consumers: "medium",
  rate_limit_traffic: "medium",
  rollback_deployment: "medium",
  cordon_drain_node: "high",
  failover_database: "high",
  reroute_traffic: "high",
  drain_queue: "high",
  failover_region: "high",
  none: "low",
} as const satisfies Record<string, RiskTier>;

export type ActionId = keyof typeof ACTION_RISK;

/**
 * Actions sent at most once per incident: a retry after a failed verification would repeat an effect that cannot be
 * read back or undone (a queue drained twice).
 */
export const SEND_ONCE: ReadonlySet<ActionId> = new Set(["drain_queue"]);
export const ACTION_IDS = Object.keys(ACTION_RISK) as ActionId[];

export function isActionId(value: string): value is ActionId {
  return Object.hasOwn(ACTION_RISK, value);
}

export const FAILURE_FAMILIES = [
  "crashloop",
  "http_5xx",
  "memory_leak",
  "oom_killed",
  "latency_p95",
  "hung_service",
  "node_not_ready",
  "disk_pressure",
  "db_latency",
  "packet_loss",
  "traffic_spike",
  "kafka_lag",
  "queue_depth",
  "upstream_throttling",
] as const;
export type FailureFamily = (typeof FAILURE_FAMILIES)[number];
