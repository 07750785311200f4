import express, { Router } from "express";
import { z } from "zod";
import type { AnswerResult, ApprovalVote } from "../../agent/approvals/approvalDesk.ts";
import { AegisError } from "../../core/errors.ts";
import { requireApiToken } from "../auth.ts";
import { HttpError } from "../errorHandler.ts";

const bodySchema = z
  .object({
    by: z.string().min(1).max(200).optional(),
    comment: z.string().max(2000).optional(),
  })
  .default({});

/**
 * `POST /api/incidents/:id/approve` and `/reject`: a person's answer to an incident waiting for approval.
 * Needs AEGIS_API_TOKEN. The agent resumes off the request path; the reply says the answer was taken, or,
 * on a tier that needs two approvers, that it was recorded and how many more are needed.
 */
export function approvalsRouter(deps: {
  apiToken: string | undefined;
  answer(id: string, vote: ApprovalVote): Promise<AnswerResult>;
}): Router {
  const router = Router();
  for (const verb of ["approve", "reject"] as const) {
    router.post(
      `/api/incidents/:id/${verb}`,
      requireApiToken(deps.apiToken),
      express.json({ limit: "16kb" }),
      async (req, res) => {
        const parsed = bodySchema.safeParse(req.body ?? {});
        if (!parsed.success)
          throw new HttpError(400, "request_invalid", parsed.error.issues[0]?.message ?? "bad body");
        const id = String(req.params.id);
        const by = parsed.data.by ?? "api";
        const result = await deps.answer(id, {
          approved: verb === "approve",
          by,
          via: "api",
          ...(parsed.data.comment ? { comment: parsed.data.comment } : {}),
        });
        if (result.kind === "refused") {
          if (result.code === "not_found") throw new AegisError("not_found", result.message);
          throw new HttpError(409, result.code, result.message);
        }
        res.status(202).json(
          result.kind === "decided"
            ? { id, approved: result.approved, by }
            : {
                id,
                approved: false,
                by,
                recorded: true,
                approvers: result.approvers,
                required: result.required,
              },
        );
      },
    );
  }
  return router;
}
