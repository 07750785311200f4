import { AegisError, type ErrorCode } from "../core/errors.ts";

/** Turn a platform client's error into an AegisError about `object` while `doing` something to it. */
export type ToAegisError = (err: unknown, object: string, doing: string, code?: ErrorCode) => AegisError;

/**
 * One rule for every platform API (Docker engine, Kubernetes API server): an AegisError passes through, a 404
 * means the target is gone (target_not_found), anything else is reported under `code` (default tool_failed)
 * with the server's own message. `client` says how its errors carry the status and the message.
 */
export function apiErrorMapper(client: {
  status(err: unknown): number | undefined;
  message(err: unknown): string;
  notFound(object: string, err: unknown): string;
}): ToAegisError {
  return (err, object, doing, code = "tool_failed") => {
    if (err instanceof AegisError) return err;
    if (client.status(err) === 404) {
      return new AegisError("target_not_found", client.notFound(object, err), { cause: err });
    }
    return new AegisError(code, `${doing} ${object} failed: ${client.message(err)}`, { cause: err });
  };
}
