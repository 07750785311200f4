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
 * Check a person's answer (`{ by?, comment? }`) and hand it to the approval desk; the reply body says whether
 * it decided or was recorded towards a two-approver tier. Shared by the API and the dashboard (`by` defaults
 * to `defaultBy`).
 */
export async function takeVote(
  answer: (id: string, vote: ApprovalVote) => Promise<AnswerResult>,
  id: string,
  verb: "approve" | "reject",
  body: unknown,
  defaultBy: string,
): Promise<Record<string, unknown>> {
  const parsed = bodySchema.safeParse(body ?? {});
  if (!parsed.success)
    throw new HttpError(400, "request_invalid", parsed.error.issues[0]?.message ?? "bad body");
  const by = parsed.data.by ?? defaultBy;
  const result = await answer(id, {
    approved: verb === "approve",
    by,
    via: "api",
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
        res.status(202).json(await takeVote(deps.answer, String(req.params.id), verb, req.body, "api"));
      },
    );
  }
  return router;
}
