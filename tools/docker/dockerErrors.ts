import { AegisError, type ErrorCode } from "../../core/errors.ts";

/** The HTTP status of an error dockerode raised from an engine reply, if it has one. */
export function dockerStatus(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === "number" ? code : undefined;
}

/** The engine's own message (`json.message`) rather than dockerode's "(HTTP code 404) ..." wrapper. */
function engineMessage(err: unknown): string {
  const json = (err as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === "string") return json.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Turn an engine error into an AegisError: 404 means the container is gone (target_not_found), anything
 * else is reported under `code` with the engine's message.
 */
export function toAegisError(
  err: unknown,
  container: string,
  doing: string,
  code: ErrorCode = "tool_failed",
): AegisError {
  if (err instanceof AegisError) return err;
  if (dockerStatus(err) === 404) {
    return new AegisError("target_not_found", `container ${container} not found`, { cause: err });
  }
  return new AegisError(code, `${doing} ${container} failed: ${engineMessage(err)}`, { cause: err });
}
