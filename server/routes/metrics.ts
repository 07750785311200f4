import { Router } from "express";
import { INCIDENT_STATUSES } from "../../core/types.ts";
import type { IncidentRepository } from "../../store/incidentRepository.ts";
import { METRICS_CONTENT_TYPE, scrapeGauge, type MetricsRegistry } from "../metrics.ts";

/** `GET /metrics` in Prometheus text format; also registers the `aegis_incidents{status}` gauge. */
export function metricsRouter(deps: { registry: MetricsRegistry; incidents: IncidentRepository }): Router {
  scrapeGauge(
    deps.registry,
    "aegis_incidents",
    "Incidents in the database, by status (read at scrape time).",
    ["status"],
    async () => {
      const counts = await deps.incidents.countByStatus();
      return INCIDENT_STATUSES.map((status) => ({ labels: { status }, value: counts[status] }));
    },
  );

  const router = Router();
  router.get("/metrics", async (_req, res) => {
    res.type(METRICS_CONTENT_TYPE).send(await deps.registry.metrics());
  });
  return router;
}
