import type { ObserverDeps } from "./deps.ts";
import { describeError } from "../../../../core/errors.ts";
import { queryPrometheus } from "../../../../tools/prometheus/instantQuery.ts";
import type { Workload } from "../actions/action.ts";

/** Most callees taken from the mesh's metrics: the busiest first, bounded in cost. */
const MAX_CALLEES = 5;

/**
 * How each service mesh records who calls whom, as the proxies label their request counters:
 * - Istio standard metrics: `istio_requests_total` reported by the client's proxy (`reporter="source"`) carries
 *   `source_workload`/`source_workload_namespace` (the caller) and `destination_service_name`/
 *   `destination_service_namespace` (the Service called);
 * - Linkerd proxy metrics: `request_total` with `direction="outbound"` carries the client pod's own `deployment`
 *   and `namespace` (added by the scrape) and `dst_service`/`dst_namespace` (the Service called).
 * One row per convention: add a mesh by adding a row.
 */
export const MESH_CALLS: ReadonlyArray<{
  mesh: string;
  query: (namespace: string, name: string) => string;
  service: string;
  namespace: string;
}> = [
  {
    mesh: "istio",
    query: (ns, name) =>
      `sum by (destination_service_name, destination_service_namespace) (rate(istio_requests_total{reporter="source", source_workload=${JSON.stringify(name)}, source_workload_namespace=${JSON.stringify(ns)}}[5m])) > 0`,
    service: "destination_service_name",
    namespace: "destination_service_namespace",
  },
  {
    mesh: "linkerd",
    query: (ns, name) =>
      `sum by (dst_service, dst_namespace) (rate(request_total{direction="outbound", deployment=${JSON.stringify(name)}, namespace=${JSON.stringify(ns)}}[5m])) > 0`,
    service: "dst_service",
    namespace: "dst_namespace",
  },
];

/**
 * The Services a workload calls, read from its service mesh's own request metrics in Prometheus (PROMETHEUS_URL),
 * as `name.namespace`, busiest first: the caller/callee relation a policy `calls` entry would otherwise have to
 * state. Empty without Prometheus or a mesh; a failed query is an error in `errors`, never a guess.
 */
export async function meshCallees(deps: ObserverDeps, t: Workload, errors: string[]): Promise<string[]> {
  if (!deps.prometheusUrl || t.workload === "pod") return [];
  const found: Array<{ callee: string; rate: number }> = [];
  for (const row of MESH_CALLS) {
    try {
      const r = await queryPrometheus({
        prometheusUrl: deps.prometheusUrl,
        query: row.query(t.namespace, t.name),
        timeoutMs: 5000,
      });
      for (const s of r.series) {
        const name = s.labels[row.service];
        if (!name || (name === t.name && (s.labels[row.namespace] ?? t.namespace) === t.namespace)) continue;
        found.push({ callee: `${name}.${s.labels[row.namespace] ?? t.namespace}`, rate: s.value });
      }
    } catch (err) {
      errors.push(`${row.mesh} callees of ${t.namespace}/${t.name}: ${describeError(err)}`);
    }
  }
  return [...new Set(found.sort((a, b) => b.rate - a.rate).map((f) => f.callee))].slice(0, MAX_CALLEES);
}
