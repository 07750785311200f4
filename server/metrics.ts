import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  prometheusContentType,
} from "prom-client";

/** The process's Prometheus registry (prom-client). One per process; tests make their own. */
export type MetricsRegistry = Registry;

/**
 * prom-client's gauges named like counters: `promtool check metrics` rejects them, and the per-type gauges
 * (`nodejs_active_handles{type}` ...) carry the same numbers.
 */
const MISNAMED_DEFAULTS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

/** A fresh registry with Node's default process metrics (CPU, memory, event loop lag, GC, handles). */
export function createMetricsRegistry(): MetricsRegistry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  return registry;
}

/**
 * The registry of `aegis serve`'s webhook front (the agent runs in its own process): its process metrics carry
 * the `aegis_front_` prefix (e.g. `aegis_front_nodejs_eventloop_lag_p99_seconds`) beside the agent's own.
 */
export function createFrontMetricsRegistry(): MetricsRegistry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "aegis_front_" });
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(`aegis_front_${name}`);
  return registry;
}

/** Content-Type of the rendered exposition (text format 0.0.4). */
export const METRICS_CONTENT_TYPE: string = prometheusContentType;

/** The existing metric of that name, or a new one: registering twice (two apps on one registry) is harmless. */
function once<M>(registry: MetricsRegistry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

/** A counter on `registry` (the same object when it is already registered). */
export function counter<L extends string>(
  registry: MetricsRegistry,
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Counter<L> {
  return once(registry, name, () => new Counter({ name, help, labelNames, registers: [registry] }));
}

/** A histogram on `registry` (the same object when it is already registered). */
export function histogram<L extends string>(
  registry: MetricsRegistry,
  name: string,
  help: string,
  buckets: number[],
  labelNames: readonly L[] = [],
): Histogram<L> {
  return once(
    registry,
    name,
    () => new Histogram({ name, help, buckets, labelNames, registers: [registry] }),
  );
}

/**
 * A gauge whose values are read when Prometheus scrapes. Registering the name again replaces the reader
 * (the newest app on a shared registry owns it).
 */
export function scrapeGauge<L extends string>(
  registry: MetricsRegistry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () => Promise<Array<{ labels?: Partial<Record<L, string>>; value: number }>>,
): void {
  registry.removeSingleMetric(name);
  new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      const samples = await read();
      this.reset();
      for (const s of samples) {
        if (s.labels) this.set(s.labels, s.value);
        else this.set(s.value);
      }
    },
  });
}

/** Upper bounds (seconds) of the webhook latency histogram: sub-millisecond commits up to slow disks. */
const WEBHOOK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** What ingest can do with one alert (mirrors IngestOutcome["outcome"]); pre-set to 0 so rate() sees them. */
const ALERT_OUTCOMES = [
  "created",
  "joined",
  "repeat",
  "resolved_recorded",
  "dismissed",
  "resolved_unmatched",
];

/** The metrics the HTTP server itself updates. */
export interface ServerMetrics {
  alertsReceived: Counter<"outcome">;
  webhookRequests: Counter<"code">;
  webhookDuration: Histogram;
}

/** Register the server's metrics on `registry` (idempotent). */
export function registerServerMetrics(registry: MetricsRegistry): ServerMetrics {
  const alertsReceived = counter(
    registry,
    "aegis_alerts_received_total",
    "Alerts received through POST /alerts, by what ingest did with them.",
    ["outcome"],
  );
  for (const outcome of ALERT_OUTCOMES) alertsReceived.inc({ outcome }, 0);
  return {
    alertsReceived,
    webhookRequests: counter(
      registry,
      "aegis_webhook_requests_total",
      "Requests to POST /alerts, by HTTP status code.",
      ["code"],
    ),
    webhookDuration: histogram(
      registry,
      "aegis_webhook_duration_seconds",
      "Time from receiving POST /alerts to the end of the reply, including the database commit.",
      WEBHOOK_BUCKETS,
    ),
  };
}
