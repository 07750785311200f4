import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { AegisError } from "../core/errors.ts";

/** The challenge sent with every 401. */
export const WWW_AUTHENTICATE = 'Bearer realm="aegis"';

/** The token of an `Authorization: Bearer <token>` header, if the header has that form. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest();

/**
 * Constant-time comparison against one expected token. Both sides are hashed so the buffers compared have
 * equal length and the time taken says nothing about the expected token's length or prefix; the expected
 * side is hashed once here rather than on every request.
 */
export function tokenMatcher(expected: string): (presented: string | undefined) => boolean {
  const want = sha256(expected);
  return (presented) => presented !== undefined && timingSafeEqual(sha256(presented), want);
}

/** Checks an Authorization header: the refusal message for the 401, or undefined when the request may pass. */
export type BearerCheck = (authorization: string | undefined) => string | undefined;

/** Require `Authorization: Bearer <expected>`; with no expected token, `whenUnset` decides. */
function bearerCheck(expected: string | undefined, whenUnset: "allow" | "deny", what: string): BearerCheck {
  if (expected === undefined) {
    const refusal = whenUnset === "allow" ? undefined : `${what} is disabled: no token is configured`;
    return () => refusal;
  }
  const matches = tokenMatcher(expected);
  const missing = `${what} needs an Authorization: Bearer token`;
  const invalid = `${what}: invalid bearer token`;
  return (authorization) => {
    const presented = bearerToken(authorization);
    if (matches(presented)) return undefined;
    return presented === undefined ? missing : invalid;
  };
}

/**
 * Express middleware around a BearerCheck. Runs before the body is read, so a rejected request costs no
 * parsing and writes nothing.
 */
function requireBearer(check: BearerCheck): RequestHandler {
  return (req, res, next) => {
    const refusal = check(req.get("authorization"));
    if (refusal === undefined) return next();
    res.setHeader("WWW-Authenticate", WWW_AUTHENTICATE);
    next(new AegisError("unauthorized", refusal));
  };
}

/** POST /alerts: open when AEGIS_WEBHOOK_TOKEN is unset (Alertmanager on localhost), else the token is required. */
export function webhookTokenCheck(webhookToken: string | undefined): BearerCheck {
  return bearerCheck(webhookToken, "allow", "the webhook");
}

/**
 * Reading the API (`GET /api/*`): incidents carry logs, targets and decisions, so reads need AEGIS_API_TOKEN
 * unless AEGIS_API_PUBLIC=true says they are public; with neither, reads through the API are refused.
 */
export function requireApiReadToken(apiToken: string | undefined, apiPublic: boolean): RequestHandler {
  if (apiPublic) return (_req, _res, next) => next();
  const check =
    apiToken === undefined
      ? () => "reading the API needs AEGIS_API_TOKEN (or AEGIS_API_PUBLIC=true): no token is configured"
      : bearerCheck(apiToken, "deny", "reading the API");
  return requireBearer(check);
}

/** Mutating API routes: always need AEGIS_API_TOKEN; without one configured, changes through the API are refused. */
export function requireApiToken(apiToken: string | undefined): RequestHandler {
  return requireBearer(bearerCheck(apiToken, "deny", "changing incidents through the API"));
}
