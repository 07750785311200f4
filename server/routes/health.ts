import { Router } from "express";
import { describeError } from "../../core/errors.ts";
import type { IncidentRepository } from "../../store/incidentRepository.ts";
import type { RequestFailure } from "../errorHandler.ts";

/** `GET /healthz`: 200 when the process answers and the database does; 503 otherwise. */
export function healthRouter(deps: { incidents: IncidentRepository }): Router {
  const router = Router();
  router.get("/healthz", async (_req, res) => {
    try {
      // A trivial read through the repository: proves the database file is open and its schema readable.
      await deps.incidents.list({ limit: 1 });
    } catch (err) {
      const message = `database unreachable: ${describeError(err).slice(0, 200)}`;
      // Logged once, with the cause, by the request logger.
      const failure: RequestFailure = { status: 503, code: "unavailable", message, err };
      res.locals.failure = failure;
      res.status(503).json({ status: "unavailable", checks: { database: message } });
      return;
    }
    res.json({ status: "ok", checks: { database: "ok" } });
  });
  return router;
}
