import type { RequestHandler } from "express";
import type { Logger } from "../core/logger.ts";
import { createLogThrottle } from "../core/logThrottle.ts";
import { failureOf } from "./errorHandler.ts";

/**
 * One log line per request when its reply is sent: debug when it went well, warn with the reason for 4xx,
 * error (with the cause) for 5xx. Headers and bodies are never logged: they carry tokens and payloads.
 */
export function requestLogger(log: Logger): RequestHandler {
  // 401s come in floods (a scanner, a client with a stale token): one line per reason per 10 s.
  const throttle = createLogThrottle();
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on("finish", () => {
      const status = res.statusCode;
      if (status < 400 && !log.isLevelEnabled("debug")) return;
      const fields = {
        method: req.method,
        path: req.originalUrl.split("?")[0],
        status,
        ms: Number(process.hrtime.bigint() - start) / 1e6,
      };
      const failure = failureOf(res);
      if (status >= 500) {
        log.error(
          { ...fields, error: failure?.code, reason: failure?.message, err: failure?.err },
          "request failed",
        );
      } else if (status === 401) {
        throttle(`401 ${failure?.message}`, (suppressed) =>
          log.warn(
            { ...fields, error: failure?.code, reason: failure?.message, suppressed },
            suppressed > 0
              ? `request rejected (and ${suppressed} more like it in the last 10 s, not logged)`
              : "request rejected",
          ),
        );
      } else if (status >= 400) {
        log.warn({ ...fields, error: failure?.code, reason: failure?.message }, "request rejected");
      } else {
        log.debug(fields, "request");
      }
    });
    next();
  };
}
