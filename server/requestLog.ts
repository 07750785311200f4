import type { RequestHandler } from "express";
import type { Logger } from "../core/logger.ts";
import { createLogThrottle } from "../core/logThrottle.ts";
import { failureOf, type RequestFailure } from "./errorHandler.ts";

/** What one request line says (never headers or bodies: they carry tokens and payloads). */
export interface RequestFields {
  method: string | undefined;
  /** The path without its query string. */
  path: string;
  status: number;
  ms: number;
}

/** Writes the line of a finished request. */
export type RequestLine = (fields: RequestFields, failure: RequestFailure | undefined) => void;

/**
 * The server's one request log, shared by express and the bare webhook: debug when the request went well,
 * warn with the reason for 4xx, error (with the cause) for 5xx.
 */
export function createRequestLine(log: Logger): RequestLine {
  // 401s come in floods (a scanner, a client with a stale token): one line per reason per 10 s.
  const throttle = createLogThrottle();
  return (fields, failure) => {
    const { status } = fields;
    if (status < 400) {
      if (log.isLevelEnabled("debug")) log.debug(fields, "request");
      return;
    }
    const why = { ...fields, error: failure?.code, reason: failure?.message };
    if (status >= 500) {
      log.error({ ...why, err: failure?.err }, "request failed");
    } else if (status === 401) {
      throttle(`401 ${failure?.message}`, (suppressed) =>
        log.warn(
          { ...why, suppressed },
          suppressed > 0
            ? `request rejected (and ${suppressed} more like it in the last 10 s, not logged)`
            : "request rejected",
        ),
      );
    } else {
      log.warn(why, "request rejected");
    }
  };
}

/** One log line per express request when its reply is sent. */
export function requestLogger(log: Logger): RequestHandler {
  const line = createRequestLine(log);
  return (req, res, next) => {
    const start = performance.now();
    res.on("finish", () => {
      if (res.statusCode < 400 && !log.isLevelEnabled("debug")) return;
      line(
        {
          method: req.method,
          path: req.originalUrl.split("?")[0] ?? "",
          status: res.statusCode,
          ms: performance.now() - start,
        },
        failureOf(res),
      );
    });
    next();
  };
}
