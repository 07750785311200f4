import { Router } from "express";
import type { Autonomy } from "../../agent/autonomy/autonomy.ts";

/** `GET /api/slo`: each SLO with its budget left and burn rates, the record and autonomy of each action, breakers. */
export function sloRouter(deps: { report: Autonomy["report"] }): Router {
  const router = Router();
  router.get("/api/slo", async (_req, res) => {
    res.json(await deps.report());
  });
  return router;
}
