import type { PromQueryResult } from "../../tools/prometheus/instantQuery.ts";
import type { RightsizingConfig } from "./rightsizing.ts";
import { workloadOf, type ContainerUsage } from "./rightsizing.ts";

/** An instant PromQL query (the real one is tools/prometheus/instantQuery.ts). */
export type InstantQuery = (query: string) => Promise<PromQueryResult>;

/**
 * Read requests (kube-state-metrics) and usage quantiles over the window (cAdvisor) per container and fold
 * pods into their workloads (the highest quantile among a workload's pods; replicas = its pods).
 */
export async function collectUsage(
  query: InstantQuery,
  cfg: RightsizingConfig,
  watched: (namespace: string, workload: string) => boolean,
): Promise<ContainerUsage[]> {
  const ns = cfg.namespaces.length > 0 ? `namespace=~"${cfg.namespaces.map(escapeRe).join("|")}",` : "";
  const sel = `{${ns}container!="",container!="POD"}`;
  const windowS = Math.round(cfg.windowDays * 86_400);
  const w = `${windowS}s`;
  // The subquery's resolution: 5 minutes over days, finer over a short window (still 30 points or more).
  const res = `${Math.max(1, Math.min(300, Math.floor(windowS / 30)))}s`;
  // rate()'s own range: 5 minutes, shorter only for a window of minutes (it must stay within the window).
  const rateRange = `${Math.max(2, Math.min(300, Math.floor(windowS / 5)))}s`;
  const q = (p: number) => String(p);
  const [cpuReq, memReq, cpu95, cpu99, mem95, mem99] = await Promise.all([
    query(`max by (namespace, pod, container) (kube_pod_container_resource_requests{${ns}resource="cpu"})`),
    query(
      `max by (namespace, pod, container) (kube_pod_container_resource_requests{${ns}resource="memory"})`,
    ),
    query(
      `max by (namespace, pod, container) (quantile_over_time(${q(0.95)}, rate(container_cpu_usage_seconds_total${sel}[${rateRange}])[${w}:${res}]))`,
    ),
    query(
      `max by (namespace, pod, container) (quantile_over_time(${q(cfg.quantile)}, rate(container_cpu_usage_seconds_total${sel}[${rateRange}])[${w}:${res}]))`,
    ),
    query(
      `max by (namespace, pod, container) (quantile_over_time(${q(0.95)}, container_memory_working_set_bytes${sel}[${w}]))`,
    ),
    query(
      `max by (namespace, pod, container) (quantile_over_time(${q(cfg.quantile)}, container_memory_working_set_bytes${sel}[${w}]))`,
    ),
  ]);
  const byKey = new Map<string, ContainerUsage & { pods: Set<string> }>();
  const entry = (l: Record<string, string>) => {
    const namespace = l.namespace ?? "";
    const workload = workloadOf(l.pod ?? "");
    const key = `${namespace}/${workload}/${l.container ?? ""}`;
    let e = byKey.get(key);
    if (e === undefined) {
      e = {
        namespace,
        workload,
        container: l.container ?? "",
        replicas: 0,
        pods: new Set(),
        cpuRequest: undefined,
        cpuP95: 0,
        cpuP99: 0,
        memRequest: undefined,
        memP95: 0,
        memP99: 0,
        watched: watched(namespace, workload),
      };
      byKey.set(key, e);
    }
    return e;
  };
  // Replicas are the pods that hold requests now; usage over the window also covers pods since replaced.
  for (const s of [...cpuReq.series, ...memReq.series])
    if (s.labels.pod) entry(s.labels).pods.add(s.labels.pod);
  for (const s of cpuReq.series)
    entry(s.labels).cpuRequest = Math.max(entry(s.labels).cpuRequest ?? 0, s.value);
  for (const s of memReq.series)
    entry(s.labels).memRequest = Math.max(entry(s.labels).memRequest ?? 0, s.value);
  for (const s of cpu95.series)
    if (Number.isFinite(s.value)) entry(s.labels).cpuP95 = Math.max(entry(s.labels).cpuP95, s.value);
  for (const s of cpu99.series)
    if (Number.isFinite(s.value)) entry(s.labels).cpuP99 = Math.max(entry(s.labels).cpuP99, s.value);
  for (const s of mem95.series)
    if (Number.isFinite(s.value)) entry(s.labels).memP95 = Math.max(entry(s.labels).memP95, s.value);
  for (const s of mem99.series)
    if (Number.isFinite(s.value)) entry(s.labels).memP99 = Math.max(entry(s.labels).memP99, s.value);
  return [...byKey.values()]
    .filter((e) => e.cpuP99 > 0 || e.memP99 > 0)
    .map(({ pods, ...e }) => ({ ...e, replicas: Math.max(1, pods.size) }));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\\\$&");
}
