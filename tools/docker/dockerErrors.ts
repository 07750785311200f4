import { apiErrorMapper, type ToAegisError } from "../apiErrors.ts";

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
export const toAegisError: ToAegisError = apiErrorMapper({
  status: dockerStatus,
  message: engineMessage,
  notFound: (container) => `container ${container} not found`,
});
