import type { SimContext } from "./controllers/context.ts";
import { ingressProbes } from "./controllers/ingress.ts";
import type { Gauge } from "./metricsGauge.ts";

/**
 * What a blackbox exporter (http_2xx module) probing every Ingress host through the ingress controller
 * exposes: `probe_success` and `probe_http_status_code` per `instance` (`http://host/path`), with the
 * Ingress's namespace and name as the Probe's relabelling would add them.
 */
export function ingressMetrics(ctx: SimContext, g: Gauge): void {
  for (const p of ingressProbes(ctx)) {
    const labels = { job: "blackbox", instance: p.instance, namespace: p.namespace, ingress: p.ingress };
    g(
      "probe_success",
      "Displays whether or not the probe was a success",
      labels,
      p.status >= 200 && p.status < 400 ? 1 : 0,
    );
    g("probe_http_status_code", "Response HTTP status code", labels, p.status);
  }
}
