import type { IncidentAlert, Target } from "../../core/types.ts";
import type { Policy } from "./schema.ts";

/** Labels that name a service (as in the policy's service map), in the order target resolution reads them. */
const SERVICE_LABELS = ["service", "consumergroup", "queue", "database"] as const;

/**
 * Why policy forbids acting on this target, if it does: a service marked `protected: true` that the alerts
 * name, or whose mapped workload is the target. Namespaces and containers are protected by the platforms.
 */
export function protectedServiceReason(
  policy: Policy,
  target: Target,
  alerts: readonly IncidentAlert[],
): string | undefined {
  for (const [name, svc] of Object.entries(policy.services)) {
    if (!svc.protected) continue;
    const named = alerts.some((a) => SERVICE_LABELS.some((l) => a.labels[l] === name));
    if (named || isWorkloadOf(svc.target, target)) return `service ${name} is protected by policy`;
  }
  return undefined;
}

function isWorkloadOf(t: Policy["services"][string]["target"], target: Target): boolean {
  if (!t) return false;
  switch (target.kind) {
    case "docker_container":
      return t.container === target.name;
    case "docker_service":
      return t.composeService === target.service;
    case "k8s_workload":
      return (
        t.namespace === target.namespace &&
        ((target.workload === "deployment" && t.deployment === target.name) ||
          (target.workload === "statefulset" && t.statefulset === target.name))
      );
    default:
      return false;
  }
}
