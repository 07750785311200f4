import express, { Router } from "express";
import { z } from "zod";
import type { ApprovalAnswer } from "../../agent/nodes/approve.ts";
import { AegisError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import type { IncidentRepository } from "../../store/incidentRepository.ts";
import { requireApiToken } from "../auth.ts";
import { HttpError } from "../errorHandler.ts";

const bodySchema = z
  .object({
    by: z.string().min(1).max(200).optional(),
    comment: z.string().max(2000).optional(),
  })
  .default({});

/** What answering an approval needs. */
export interface AnswerDeps {
  incidents: IncidentRepository;
  answer(id: string, answer: ApprovalAnswer): Promise<void>;
  log: Logger;
}

/**
 * Check and hand over a person's answer (shared by the API and the dashboard): the body is `{ by?, comment? }`,
 * the incident must be awaiting approval. The agent resumes off the request path.
 */
export async function takeAnswer(
  deps: AnswerDeps,
  id: string,
  verb: "approve" | "reject",
  body: unknown,
  defaultBy: string,
): Promise<ApprovalAnswer> {
  const parsed = bodySchema.safeParse(body ?? {});
  if (!parsed.success)
    throw new HttpError(400, "request_invalid", parsed.error.issues[0]?.message ?? "bad body");
  const incident = await deps.incidents.get(id);
  if (!incident) throw new AegisError("not_found", `no incident with id ${JSON.stringify(id)}`);
  if (incident.status !== "awaiting_approval") {
    throw new HttpError(
      409,
      "not_awaiting_approval",
      `incident ${id} is ${incident.status}, not awaiting approval`,
    );
  }
  const answer: ApprovalAnswer = {
    approved: verb === "approve",
    by: parsed.data.by ?? defaultBy,
    ...(parsed.data.comment ? { comment: parsed.data.comment } : {}),
  };
  deps
    .answer(id, answer)
    .catch((err: unknown) =>
      deps.log.error({ incident: id, err: String(err) }, "resuming the incident after the answer failed"),
    );
  return answer;
}

/**
 * `POST /api/incidents/:id/approve` and `/reject`: a person's answer to an incident waiting for approval.
 * Needs AEGIS_API_TOKEN. The agent resumes off the request path; the reply says the answer was taken.
 */
export function approvalsRouter(deps: AnswerDeps & { apiToken: string | undefined }): Router {
  const router = Router();
  for (const verb of ["approve", "reject"] as const) {
    router.post(
      `/api/incidents/:id/${verb}`,
      requireApiToken(deps.apiToken),
      express.json({ limit: "16kb" }),
      async (req, res) => {
        const answer = await takeAnswer(deps, String(req.params.id), verb, req.body, "api");
        res.status(202).json({ id: String(req.params.id), approved: answer.approved, by: answer.by });
      },
    );
  }
  return router;
}
