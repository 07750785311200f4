import type { RequestHandler } from "express";
import type { Logger } from "../core/logger.ts";
import { failureOf } from "./errorHandler.ts";

/**
 * One log line per request when its reply is sent: debug when it went well, warn with the reason for 4xx,
 * error (with the cause) for 5xx. Headers and bodies are never logged: they carry tokens and payloads.
 */
export function requestLogger(log: Logger): RequestHandler {
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
      } else if (status >= 400) {
        log.warn({ ...fields, error: failure?.code, reason: failure?.message }, "request rejected");
      } else {
        log.debug(fields, "request");
      }
    });
    next();
  };
}
