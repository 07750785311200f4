import type { Labels } from "./table.ts";

/**
 * Exporters that run as pods and export series about OTHER objects. A ServiceMonitor scraping them (kube-prometheus-
 * stack's kube-state-metrics one uses `honorLabels: true`) adds its scrape target's labels (`pod`, `container`,
 * `service`, `endpoint`, `instance`, and `namespace` when the series has none) to every series that lacks them: a
 * `kube_deployment_*` series then carries the exporter's own pod, which is never what the alert is about.
 */
const EXPORTERS = [
  "kube-state-metrics",
  "node-exporter",
  "blackbox-exporter",
  "kafka-exporter",
  "burrow-exporter",
  "rabbitmq-exporter",
  "postgres-exporter",
  "mysqld-exporter",
  "redis-exporter",
  "cadvisor",
];

/** The exporter that the scrape labels (job, container, service) name, if one of the known ones. */
function exporterNamed(l: Labels): string | undefined {
  const scrape = [l.job, l.container, l.service].filter((v): v is string => Boolean(v)).join(" ");
  return EXPORTERS.find((e) => scrape.includes(e));
}

/**
 * The alert's `pod` is the scraping target's own exporter pod: the job/container/service name an exporter and the pod
 * is named after that exporter too (`kube-prometheus-stack-kube-state-metrics-7d9c…`, `node-exporter-x2x4p`). A real
 * pod a kube-state-metrics series is about (KubePodCrashLooping's) carries its own name, so it still counts.
 */
export function isExporterOwnPod(l: Labels): boolean {
  const exporter = exporterNamed(l);
  return Boolean(exporter && l.pod?.includes(exporter));
}

/** The alert's `service` is the exporter's own Service (a scrape target label), not a Service it reports on. */
export function isExporterOwnService(l: Labels): boolean {
  const exporter = exporterNamed(l);
  return Boolean(exporter && l.service?.includes(exporter));
}
