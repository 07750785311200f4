/** String codes for every error AegisOps raises on purpose; callers match on `code`, never on message. */
export type ErrorCode =
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

/** Base class of AegisOps' own errors. */
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
