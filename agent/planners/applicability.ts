import type { ActionId } from "../../core/catalog.ts";
import type { Target } from "../../core/types.ts";

const DOCKER: ReadonlySet<ActionId> = new Set(["restart_container", "kill_container", "scale_service"]);
const K8S_WORKLOAD: ReadonlySet<ActionId> = new Set([
  "restart_pod",
  "rollout_restart",
  "recreate_pod_elsewhere",
  "scale_deployment",
  "raise_hpa_limits",
  "add_kafka_consumers",
  "rate_limit_traffic",
  "rollback_deployment",
  "failover_database",
  "reroute_traffic",
  "drain_queue",
  "failover_region",
]);
const K8S_NODE: ReadonlySet<ActionId> = new Set(["cordon_drain_node"]);

/** True when the catalog action can act on this kind of target (a runbook lists actions for both platforms). */
export function appliesTo(action: ActionId, target: Pick<Target, "kind">): boolean {
  switch (target.kind) {
    case "docker_container":
    case "docker_service":
      return DOCKER.has(action);
    case "k8s_workload":
      return K8S_WORKLOAD.has(action);
    case "k8s_node":
      return K8S_NODE.has(action);
    // A reference is pinned to a workload or node at triage; until then nothing applies to it.
    case "k8s_ref":
    case "unresolved":
      return false;
  }
}
