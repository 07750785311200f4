import express, { Router, type Response } from "express";
import { z } from "zod";
import type { PersonUndo, UndoRequest } from "../../agent/undo/personUndo.ts";
import { AegisError } from "../../core/errors.ts";
import { requireApiToken } from "../auth.ts";
import { HttpError } from "../errorHandler.ts";

const bodySchema = z
  .object({
    by: z.string().trim().min(1).max(200).optional(),
    confirm: z.boolean().optional(),
  })
  .strict()
  .default({});

/**
 * Run a person's undo for an HTTP boundary (the API, the dashboard) and answer it: 200 `{ id, action, undone,
 * detail, key }`; 404 unknown incident; 409 `{ error, message, confirmable }` when refused (confirmable: asking
 * again with `confirm: true` runs it anyway). 400 on a bad body.
 */
export async function answerUndo(
  undo: PersonUndo,
  id: string,
  body: unknown,
  via: UndoRequest["via"],
  res: Response,
  defaultBy: string,
): Promise<void> {
  const parsed = bodySchema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    throw new HttpError(400, "request_invalid", `${where}${issue?.message ?? "bad body"}`);
  }
  const outcome = await undo(id, {
    by: parsed.data.by ?? defaultBy,
    via,
    ...(parsed.data.confirm ? { confirm: true } : {}),
  });
  if (outcome.kind === "refused") {
    if (outcome.code === "not_found") throw new AegisError("not_found", outcome.message);
    // Not through the error handler: the reason can be longer than its one line, and confirmable goes with it.
    res.locals.failure = { status: 409, code: outcome.code, message: outcome.message.slice(0, 300) };
    res.status(409).json({ error: outcome.code, message: outcome.message, confirmable: outcome.confirmable });
    return;
  }
  res.json({ id, action: outcome.action, undone: outcome.undone, detail: outcome.detail, key: outcome.key });
}

/**
 * `POST /api/incidents/:id/undo` (body `{ by?, confirm? }`, needs AEGIS_API_TOKEN): undo the last action the
 * agent sent for a finished incident, once, through the action ledger (see `answerUndo` for the answers).
 */
export function undoRouter(deps: { apiToken: string | undefined; undo: PersonUndo }): Router {
  const router = Router();
  router.post(
    "/api/incidents/:id/undo",
    requireApiToken(deps.apiToken),
    express.json({ limit: "16kb" }),
    async (req, res) => {
      await answerUndo(deps.undo, String(req.params.id), req.body, "api", res, "api");
    },
  );
  return router;
}
