import { Router } from "express";
import { describeError } from "../../core/errors.ts";
import type { IncidentRepository } from "../../store/incidentRepository.ts";
import type { RequestFailure } from "../errorHandler.ts";

/** Where this process keeps its state and whether it leads the replicas (runs the singletons). */
export interface ReplicaStatus {
  store: "sqlite" | "postgres";
  role: "leader" | "follower";
  /** How the leader is chosen: this process alone, a PostgreSQL advisory lock or a Kubernetes Lease. */
  election: "single" | "postgres" | "lease";
  replica: string;
}

/**
 * `GET /healthz`: 200 when the process answers and the database takes a write; 503 otherwise. Both say which
 * store this process uses, its replica name and role.
 */
export function healthRouter(deps: { incidents: IncidentRepository; replica?: () => ReplicaStatus }): Router {
  const router = Router();
  router.get("/healthz", async (_req, res) => {
    const replica = deps.replica?.() ?? {};
    try {
      // A read and a committed write: alerts can only be accepted while the database can write.
      await deps.incidents.listSummaries({ limit: 1 });
      await deps.incidents.pingWrite();
    } catch (err) {
      const message = `database unreachable: ${describeError(err).slice(0, 200)}`;
      // Logged once, with the cause, by the request logger.
      const failure: RequestFailure = { status: 503, code: "unavailable", message, err };
      res.locals.failure = failure;
      res.status(503).json({ status: "unavailable", ...replica, checks: { database: message } });
      return;
    }
    res.json({ status: "ok", ...replica, checks: { database: "ok" } });
  });
  return router;
}
