import type { ErrorRequestHandler, RequestHandler, Response } from "express";
import { AegisError, describeError, type ErrorCode } from "../core/errors.ts";

/**
 * A protocol-level rejection (bad query string, wrong media type) with its HTTP status: an AegisError whose
 * status is set here rather than by its code. Domain failures are plain AegisErrors.
 */
export class HttpError extends AegisError {
  readonly status: number;

  constructor(status: number, code: ErrorCode, message: string) {
    super(code, message);
    this.status = status;
  }
}

/** What went wrong with a request, kept on `res.locals` for the request logger. */
export interface RequestFailure {
  status: number;
  code: string;
  message: string;
  /** The original error, only for 5xx: logged with its stack, never sent. */
  err?: unknown;
}

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  alert_payload_invalid: 400,
  payload_too_large: 413,
  unauthorized: 401,
  not_found: 404,
  queue_full: 503,
};

const MAX_MESSAGE = 300;

/** The failure recorded for this response, if any. */
export function failureOf(res: Response): RequestFailure | undefined {
  return res.locals.failure as RequestFailure | undefined;
}

/** Last route: anything not matched above is a JSON 404. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AegisError("not_found", `no route for ${req.method} ${oneLine(req.path)}`));
};

/**
 * The one error handler of the HTTP boundary: turns any error into `{ error, message }` with a status.
 * Replies carry one line and never a stack; 5xx details go to the log (through the request logger).
 */
export const errorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) {
    // Too late to answer cleanly: let express close the connection.
    next(err);
    return;
  }
  const failure = classifyError(err);
  res.locals.failure = failure;
  res.status(failure.status).json({ error: failure.code, message: failure.message });
};

/** What to answer for a thrown error. */
export function classifyError(err: unknown): RequestFailure {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: oneLine(err.message) };
  if (err instanceof AegisError) {
    const status = STATUS_BY_CODE[err.code] ?? 500;
    const failure: RequestFailure = { status, code: err.code, message: oneLine(describeError(err)) };
    if (status >= 500) failure.err = err;
    return failure;
  }
  const body = bodyParserFailure(err);
  if (body) return body;
  return { status: 500, code: "internal", message: "internal error", err };
}

interface BodyParserError {
  type: string;
  status: number;
  expose?: boolean;
  message: string;
  limit?: number;
  length?: number;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  const e = err as Partial<BodyParserError> | null;
  return typeof e === "object" && e !== null && typeof e.type === "string" && typeof e.status === "number";
}

/** Errors of express.json() (the dashboard's and the approval routes' small bodies) carry a `type`; map the ones a client can cause. */
function bodyParserFailure(err: unknown): RequestFailure | undefined {
  if (!isBodyParserError(err)) return undefined;
  switch (err.type) {
    case "entity.too.large":
      return {
        status: 413,
        code: "payload_too_large",
        message: `request body exceeds the limit of ${err.limit ?? "?"} bytes`,
      };
    case "entity.parse.failed":
      return {
        status: 400,
        code: "request_invalid",
        message: `malformed JSON: ${oneLine(err.message)}`,
      };
    case "encoding.unsupported":
    case "charset.unsupported":
      return { status: 415, code: "unsupported_media_type", message: oneLine(err.message) };
    case "request.aborted":
      return { status: 400, code: "request_aborted", message: "the client aborted the request" };
    default:
      if (err.status >= 400 && err.status < 500 && err.expose !== false) {
        return { status: err.status, code: "request_invalid", message: oneLine(err.message) };
      }
      return undefined;
  }
}

/** First line, capped: messages may quote client input. */
export function oneLine(text: string): string {
  const line = text.split("\n")[0] ?? "";
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE)}…` : line;
}
