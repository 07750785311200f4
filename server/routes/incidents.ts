import { Router } from "express";
import { AegisError } from "../../core/errors.ts";
import { INCIDENT_STATUSES, type IncidentStatus } from "../../core/types.ts";
import type { IncidentRepository } from "../../store/incidentRepository.ts";
import { HttpError } from "../errorHandler.ts";

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

/**
 * Read-only incident API: `GET /api/incidents` (newest first, summaries, at most MAX_LIMIT) and
 * `GET /api/incidents/:id` (the whole incident, itself bounded by the store). The app checks the API token.
 */
export function incidentsRouter(deps: { incidents: IncidentRepository }): Router {
  const router = Router();

  router.get("/api/incidents", async (req, res) => {
    const status = parseStatus(req.query.status);
    const limit = parseLimit(req.query.limit);
    res.json({ incidents: await deps.incidents.listSummaries({ status, limit }) });
  });

  router.get("/api/incidents/:id", async (req, res) => {
    const incident = await deps.incidents.get(req.params.id);
    if (!incident) throw new AegisError("not_found", `no incident with id ${JSON.stringify(req.params.id)}`);
    res.json(incident);
  });

  return router;
}

function parseStatus(value: unknown): IncidentStatus | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string" && (INCIDENT_STATUSES as readonly string[]).includes(value)) {
    return value as IncidentStatus;
  }
  throw new HttpError(
    400,
    "request_invalid",
    `status must be one of ${INCIDENT_STATUSES.join(", ")}; got ${JSON.stringify(value)}`,
  );
}

function parseLimit(value: unknown): number {
  if (value === undefined) return DEFAULT_LIMIT;
  const n = typeof value === "string" && /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (n >= 1 && n <= MAX_LIMIT) return n;
  throw new HttpError(
    400,
    "request_invalid",
    `limit must be an integer from 1 to ${MAX_LIMIT}; got ${JSON.stringify(value)}`,
  );
}
