import { Router } from "express";
import { ACTIVE_STATUSES, type IncidentRepository } from "../../store/incidentRepository.ts";
import { METRICS_CONTENT_TYPE, type MetricsRegistry } from "../metrics.ts";

/** The gauge counts at most this many incidents per status: the repository has no count query yet. */
export const INCIDENT_GAUGE_CAP = 500;

/** `GET /metrics` in Prometheus text format; also registers the `aegis_incidents{status}` gauge. */
export function metricsRouter(deps: { registry: MetricsRegistry; incidents: IncidentRepository }): Router {
  deps.registry.gauge(
    "aegis_incidents",
    `Incidents not yet finished, by status (read at scrape time; counts stop at ${INCIDENT_GAUGE_CAP}).`,
    async () =>
      Promise.all(
        ACTIVE_STATUSES.map(async (status) => ({
          labels: { status },
          value: (await deps.incidents.list({ status, limit: INCIDENT_GAUGE_CAP })).length,
        })),
      ),
  );

  const router = Router();
  router.get("/metrics", async (_req, res) => {
    res.type(METRICS_CONTENT_TYPE).send(await deps.registry.render());
  });
  return router;
}
