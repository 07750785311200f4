import type { QueueStats } from "./incidentMetrics.ts";
import { scrapeGauge, type MetricsRegistry } from "./metrics.ts";
import type { ReplicaStatus } from "./routes/health.ts";

/**
 * Per-replica gauges, read at scrape time: this replica's own queue and runs (labelled with its name, so a
 * dashboard summing replicas sees each), whether it leads, and on a shared store the entries no replica holds.
 */
export function registerReplicaMetrics(
  registry: MetricsRegistry,
  opts: { replica: () => ReplicaStatus; queue: () => QueueStats; sharedWaiting?: () => Promise<number> },
): void {
  scrapeGauge(
    registry,
    "aegis_replica_queue_depth",
    "Incidents this replica has taken (claimed) and not started yet.",
    ["replica"],
    async () => [{ labels: { replica: opts.replica().replica }, value: opts.queue().queued }],
  );
  scrapeGauge(
    registry,
    "aegis_replica_runs_in_flight",
    "Incident runs this replica is working on now.",
    ["replica"],
    async () => [{ labels: { replica: opts.replica().replica }, value: opts.queue().inFlight }],
  );
  scrapeGauge(
    registry,
    "aegis_replica_leader",
    "1 when this replica leads (runs the predictive watcher and approval expiry), else 0.",
    ["replica", "store"],
    async () => {
      const r = opts.replica();
      return [{ labels: { replica: r.replica, store: r.store }, value: r.role === "leader" ? 1 : 0 }];
    },
  );
  const waiting = opts.sharedWaiting;
  if (waiting) {
    scrapeGauge(
      registry,
      "aegis_work_queue_waiting",
      "Incidents in the shared work queue that no replica holds (new, or their replica's lease lapsed).",
      [],
      async () => [{ value: await waiting() }],
    );
  }
}
