/**
 * String codes for every error AegisOps raises on purpose; callers match on `code`, never on message. The
 * codes are stable: tests, the API's error bodies (`{ error: code }`) and the metrics use them.
 */
export type ErrorCode =
  DomainErrorCode | LlmErrorCode | HttpErrorCode | ApprovalRefusalCode | UndoRefusalCode;

/** What the responder itself runs into. */
export type DomainErrorCode =
  | "config_invalid"
  | "input_invalid"
  | "policy_invalid"
  | "alert_payload_invalid"
  | "payload_too_large"
  | "unauthorized"
  | "not_found"
  | "target_not_found"
  | "target_ambiguous"
  | "target_mismatch"
  | "action_blocked_by_policy"
  | "action_failed"
  | "tool_failed"
  | "verification_failed"
  | "queue_full"
  | "database_unavailable"
  | "internal";

/** Why the LLM planner's run produced no decision (it falls back and says so). */
export type LlmErrorCode = "llm_invalid_answer" | "llm_budget_exhausted" | "llm_unavailable";

/** What is about HTTP itself (server/): a bad query string, a wrong media type, a refused session. */
export type HttpErrorCode =
  | "request_invalid"
  | "request_aborted"
  | "unsupported_media_type"
  | "too_many_logins"
  | "csrf_rejected"
  | "approvals_unavailable"
  | "undo_unavailable"
  | "dashboard_not_built";

/** Why an approval answer was refused (agent/approvals; HTTP 409 except not_found). */
export type ApprovalRefusalCode =
  | "not_found"
  | "not_awaiting_approval"
  | "already_answered"
  | "not_an_approver"
  | "no_approvers_configured"
  | "already_voted";

/** Why a person's undo was refused (agent/undo; HTTP 409 except not_found). */
export type UndoRefusalCode =
  | "not_found"
  | "incident_active"
  | "nothing_sent"
  | "already_undone"
  | "undo_in_doubt"
  | "newer_action"
  | "changed_since"
  | "object_busy"
  | "not_allowed";

/**
 * The one error tree: every error AegisOps raises on purpose is an AegisError or a subclass of it
 * (`LlmPlannerError` in agent/planners/llm, `HttpError` in server/), told apart by `code`.
 */
export class AegisError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
  }
}

/** True when `err` is an AegisError with the given code. */
export function hasCode(err: unknown, code: ErrorCode): err is AegisError {
  return err instanceof AegisError && err.code === code;
}

/** A one-line description of any thrown value, for timelines and replies. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split("\n")[0] ?? err.name;
  return String(err);
}
