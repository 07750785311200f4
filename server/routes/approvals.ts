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

/** Hands a person's vote to the approval desk. */
export type AnswerApproval = (id: string, vote: ApprovalVote) => Promise<AnswerResult>;

/**
 * Check and hand over a person's answer (shared by the API and the dashboard): the body is `{ by?, comment? }`.
 * Returns the 202 body: the answer taken, or, on a tier that needs two approvers, that it was recorded and how
 * many are needed. A refused answer (unknown incident, not waiting, already answered) is an error reply.
 */
export async function takeAnswer(
  answer: AnswerApproval,
  id: string,
  verb: "approve" | "reject",
  body: unknown,
  via: ApprovalVote["via"],
): Promise<Record<string, unknown>> {
  const parsed = bodySchema.safeParse(body ?? {});
  if (!parsed.success)
    throw new HttpError(400, "request_invalid", parsed.error.issues[0]?.message ?? "bad body");
  const by = parsed.data.by ?? via;
  const result = await answer(id, {
    approved: verb === "approve",
    by,
    via,
    ...(parsed.data.comment ? { comment: parsed.data.comment } : {}),
  });
  if (result.kind === "refused") {
    if (result.code === "not_found") throw new AegisError("not_found", result.message);
    throw new HttpError(409, result.code, result.message);
  }
  return result.kind === "decided"
    ? { id, approved: result.approved, by }
    : { id, approved: false, by, recorded: true, approvers: result.approvers, required: result.required };
}

/**
 * `POST /api/incidents/:id/approve` and `/reject`: a person's answer to an incident waiting for approval.
 * Needs AEGIS_API_TOKEN. The agent resumes off the request path; the reply says the answer was taken, or,
 * on a tier that needs two approvers, that it was recorded and how many more are needed.
 */
export function approvalsRouter(deps: { apiToken: string | undefined; answer: AnswerApproval }): Router {
  const router = Router();
  for (const verb of ["approve", "reject"] as const) {
    router.post(
      `/api/incidents/:id/${verb}`,
      requireApiToken(deps.apiToken),
      express.json({ limit: "16kb" }),
      async (req, res) => {
        res.status(202).json(await takeAnswer(deps.answer, String(req.params.id), verb, req.body, "api"));
      },
    );
  }
  return router;
}
