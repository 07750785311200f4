import type { Target } from "../../core/types.ts";
import type { Policy } from "../policy/schema.ts";

const WORKLOAD_LABELS = ["pod", "deployment", "statefulset", "daemonset"] as const;

/**
 * Map an alert's labels to the workload it is about (DESIGN.md §3 "From alert to target").
 * Pure: it reads labels and the policy's service map, never a live system, so the webhook stays fast;
 * triage later checks that the target really exists.
 */
export function resolveTarget(labels: Record<string, string>, policy: Policy): Target {
  const cluster = labels.cluster ?? labels.region;
  const withCluster = <T extends object>(t: T): T => (cluster ? { ...t, cluster } : t);

  if (labels.node && !labels.pod) {
    return withCluster({
      kind: "k8s_node",
      key: `k8s:${cluster ?? ""}:node/${labels.node}`,
      name: labels.node,
    });
  }
  if (labels.namespace) {
    for (const workload of WORKLOAD_LABELS) {
      const name = labels[workload];
      if (!name) continue;
      const container = workload === "pod" ? labels.container : undefined;
      return withCluster({
        kind: "k8s_workload",
        key: `k8s:${cluster ?? ""}:${labels.namespace}/${workload}/${name}`,
        namespace: labels.namespace,
        workload,
        name,
        ...(container ? { container } : {}),
      });
    }
  }
  if (labels.container) return dockerContainer(labels.container);
  if (labels.compose_service) {
    return {
      kind: "docker_service",
      key: `docker:service/${labels.compose_service}`,
      service: labels.compose_service,
    };
  }

  const service = labels.service ?? labels.consumergroup ?? labels.queue ?? labels.database;
  const mapped = service ? policy.services[service]?.target : undefined;
  if (mapped) {
    if (mapped.container) return dockerContainer(mapped.container);
    if (mapped.composeService) {
      return {
        kind: "docker_service",
        key: `docker:service/${mapped.composeService}`,
        service: mapped.composeService,
      };
    }
    const workload = mapped.deployment ? "deployment" : mapped.statefulset ? "statefulset" : undefined;
    const name = mapped.deployment ?? mapped.statefulset;
    if (mapped.namespace && workload && name) {
      const c = mapped.cluster ?? cluster;
      return {
        kind: "k8s_workload",
        key: `k8s:${c ?? ""}:${mapped.namespace}/${workload}/${name}`,
        namespace: mapped.namespace,
        workload,
        name,
        ...(c ? { cluster: c } : {}),
      };
    }
  }

  const reason = service
    ? `no workload label and service "${service}" is not in the policy's service map`
    : "the alert names no workload: expected a container, compose_service, node, or namespace plus pod/deployment/statefulset/daemonset label";
  // Unresolved alerts still get an incident (escalated), keyed by service or alert so they group sensibly.
  return { kind: "unresolved", key: `unresolved:${service ?? labels.alertname ?? "unknown"}`, reason };
}

function dockerContainer(name: string): Target {
  const clean = name.replace(/^\//, "");
  return { kind: "docker_container", key: `docker:container/${clean}`, name: clean };
}
