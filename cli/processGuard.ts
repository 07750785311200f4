import { describeError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";

/**
 * Errors that escape every handler (an `error` event nobody listens to, a promise nobody awaits) must not
 * take the responder down: one bad alert would otherwise kill it, and the open incident would kill it again
 * on every restart. Log the error and hand it to `charge`, which fails the incident whose run raised it
 * (returning that incident's id) when there is one. Returns a function that removes the handlers.
 */
export function installProcessGuard(log: Logger, charge: (err: unknown) => string | undefined): () => void {
  const handle = (kind: string) => (err: unknown) => {
    let incident: string | undefined;
    try {
      incident = charge(err);
    } catch (inner) {
      log.error({ err: describeError(inner) }, "could not charge a stray error to its incident");
    }
    log.error(
      { err: describeError(err), stack: err instanceof Error ? err.stack : undefined, incident },
      incident
        ? `${kind} in the run of incident ${incident}: the incident is escalated; the responder goes on`
        : `${kind} outside any incident run; the responder goes on`,
    );
  };
  const onException = handle("uncaught exception");
  const onRejection = handle("unhandled promise rejection");
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return () => {
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
  };
}
