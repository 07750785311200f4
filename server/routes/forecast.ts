import { Router } from "express";
import { AegisError } from "../../core/errors.ts";
import type { AlertForecast } from "../../detect/watcher/registry.ts";
import type { IncidentRepository } from "../../store/incidentRepository.ts";

/** Looks up the forecasts behind an incident's alerts (the predictive watcher's registry). */
export type ForecastLookup = (alerts: ReadonlyArray<{ fingerprint: string }>) => AlertForecast[];

/**
 * `GET /api/incidents/:id/forecast`: for each predictive alert of the incident, the forecast a chart draws —
 * the observed series, the forecast path, the limit line and the predicted crossing with its band
 * (README: Predictive). An incident without predictive alerts answers an empty list. The app checks the
 * API token.
 */
export function forecastRouter(deps: { incidents: IncidentRepository; forecasts: ForecastLookup }): Router {
  const router = Router();
  router.get("/api/incidents/:id/forecast", async (req, res) => {
    const incident = await deps.incidents.get(req.params.id);
    if (!incident) throw new AegisError("not_found", `no incident with id ${JSON.stringify(req.params.id)}`);
    res.json({ incidentId: incident.id, forecasts: deps.forecasts(incident.alerts) });
  });
  return router;
}
