import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { AegisError } from "../core/errors.ts";

/** The token of an `Authorization: Bearer <token>` header, if the header has that form. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/**
 * Constant-time token comparison. Both sides are hashed first so the buffers compared have equal length
 * and the time taken says nothing about the expected token's length or prefix.
 */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash("sha256").update(presented, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}

/**
 * Require `Authorization: Bearer <expected>`; with no expected token, `whenUnset` decides.
 * Runs before the body is read, so a rejected request costs no parsing and writes nothing.
 */
function requireBearer(
  expected: string | undefined,
  whenUnset: "allow" | "deny",
  what: string,
): RequestHandler {
  return (req, res, next) => {
    if (expected === undefined) {
      if (whenUnset === "allow") return next();
      res.setHeader("WWW-Authenticate", 'Bearer realm="aegis"');
      return next(new AegisError("unauthorized", `${what} is disabled: no token is configured`));
    }
    const presented = bearerToken(req.get("authorization"));
    if (tokenMatches(presented, expected)) return next();
    res.setHeader("WWW-Authenticate", 'Bearer realm="aegis"');
    next(
      new AegisError(
        "unauthorized",
        presented === undefined
          ? `${what} needs an Authorization: Bearer token`
          : `${what}: invalid bearer token`,
      ),
    );
  };
}

/** POST /alerts: open when AEGIS_WEBHOOK_TOKEN is unset (Alertmanager on localhost), else the token is required. */
export function requireWebhookToken(webhookToken: string | undefined): RequestHandler {
  return requireBearer(webhookToken, "allow", "the webhook");
}

/** Mutating API routes: always need AEGIS_API_TOKEN; without one configured, changes through the API are refused. */
export function requireApiToken(apiToken: string | undefined): RequestHandler {
  return requireBearer(apiToken, "deny", "changing incidents through the API");
}
