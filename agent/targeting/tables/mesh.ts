import { fromPolicy, policyEntry } from "./policyMap.ts";
import { k8sRef, k8sWorkload, serviceOfHost, type LabelTable } from "./table.ts";

/**
 * Istio standard metrics (`destination_workload`, `destination_service*`, `destination_canonical_service`,
 * `source_workload`) and Linkerd proxy metrics (`deployment`/`dst_deployment`/`dst_statefulset`/`dst_daemonset`/
 * `dst_service`, `authority`). The destination is the one that answers: the workload whose requests fail or are
 * slow; the source (the client) only when the alert names no destination.
 */
export const MESH: LabelTable = {
  name: "service-mesh",
  source: "Istio standard metrics, Linkerd proxy metrics (awesome-prometheus-alerts istio, linkerd)",
  rows: [
    {
      needs: ["destination_workload", "destination_workload_namespace"],
      resolve: (l, ctx) =>
        k8sRef(
          ctx,
          "workload",
          l.destination_workload!,
          l.destination_workload_namespace,
          `destination_workload="${l.destination_workload}"`,
        ),
    },
    {
      needs: ["destination_service_name", "destination_service_namespace"],
      resolve: (l, ctx) =>
        k8sRef(
          ctx,
          "service",
          l.destination_service_name!,
          l.destination_service_namespace,
          `destination_service_name="${l.destination_service_name}"`,
        ),
    },
    {
      needs: ["destination_service"],
      resolve: (l, ctx) => {
        const svc = serviceOfHost(l.destination_service);
        return svc
          ? k8sRef(ctx, "service", svc.name, svc.namespace, `destination_service="${l.destination_service}"`)
          : undefined;
      },
    },
    {
      // Istio's canonical service is the app's name (its app.kubernetes.io/name or app label).
      needs: ["destination_canonical_service", "destination_workload_namespace"],
      resolve: (l, ctx) =>
        k8sRef(
          ctx,
          "workload",
          l.destination_canonical_service!,
          l.destination_workload_namespace,
          `destination_canonical_service="${l.destination_canonical_service}"`,
        ),
    },
    {
      needs: ["dst_deployment", "dst_namespace"],
      resolve: (l, ctx) => k8sWorkload(ctx, l.dst_namespace!, "deployment", l.dst_deployment!),
    },
    {
      needs: ["dst_statefulset", "dst_namespace"],
      resolve: (l, ctx) => k8sWorkload(ctx, l.dst_namespace!, "statefulset", l.dst_statefulset!),
    },
    {
      needs: ["dst_daemonset", "dst_namespace"],
      resolve: (l, ctx) => k8sWorkload(ctx, l.dst_namespace!, "daemonset", l.dst_daemonset!),
    },
    {
      // Linkerd's outbound metrics name the Service called when the destination is not a workload it knows.
      needs: ["dst_service", "dst_namespace"],
      resolve: (l, ctx) =>
        k8sRef(ctx, "service", l.dst_service!, l.dst_namespace, `dst_service="${l.dst_service}"`),
    },
    {
      needs: ["authority"],
      resolve: (l, ctx) => {
        const svc = serviceOfHost(l.authority?.replace(/:\d+$/, ""));
        return svc
          ? k8sRef(ctx, "service", svc.name, svc.namespace, `authority="${l.authority}"`)
          : undefined;
      },
    },
    {
      // A rule grouped by the client alone (its outbound error rate or latency): the caller is what it is about.
      needs: ["source_workload", "source_workload_namespace"],
      resolve: (l, ctx) =>
        k8sRef(
          ctx,
          "workload",
          l.source_workload!,
          l.source_workload_namespace,
          `source_workload="${l.source_workload}"`,
        ),
    },
    {
      // Rules that aggregate `by (deployment)` drop the namespace: only the policy can say which one it is.
      needs: ["deployment"],
      when: (l) => !l.namespace,
      resolve: (l, ctx) =>
        fromPolicy(ctx, [l.deployment], (s) => s.target?.deployment === l.deployment) ?? {
          needsPolicy: {
            what: `deployment "${l.deployment}" without a namespace label`,
            entry: policyEntry(l.deployment!),
          },
        },
    },
  ],
};
