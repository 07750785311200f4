import express, { Router } from "express";
import { z } from "zod";
import type { PersonUndo } from "../../agent/undo/personUndo.ts";
import { AegisError } from "../../core/errors.ts";
import { requireApiToken } from "../auth.ts";
import { HttpError } from "../errorHandler.ts";

const bodySchema = z.object({ by: z.string().min(1).max(200).optional() }).default({});

/**
 * `POST /api/incidents/:id/undo` (body `{ by? }`, needs AEGIS_API_TOKEN): undo the last action the agent sent
 * for a finished incident, once. 200 with `{ id, action, undone, detail }`: `undone` false when the action has
 * no undo or nothing was left to put back (the detail says why). 404 unknown incident; 409 while the agent
 * still works on it, when it sent nothing, or when it was undone already.
 */
export function undoRouter(deps: { apiToken: string | undefined; undo: PersonUndo }): Router {
  const router = Router();
  router.post(
    "/api/incidents/:id/undo",
    requireApiToken(deps.apiToken),
    express.json({ limit: "16kb" }),
    async (req, res) => {
      const parsed = bodySchema.safeParse(req.body ?? {});
      if (!parsed.success)
        throw new HttpError(400, "request_invalid", parsed.error.issues[0]?.message ?? "bad body");
      const id = String(req.params.id);
      const outcome = await deps.undo(id, parsed.data.by ?? "api");
      if (outcome.kind === "refused") {
        if (outcome.code === "not_found") throw new AegisError("not_found", outcome.message);
        throw new HttpError(409, outcome.code, outcome.message);
      }
      res.json({ id, action: outcome.action, undone: outcome.undone, detail: outcome.detail });
    },
  );
  return router;
}
