import type { RequestHandler } from "express";

/** Slack's own window: Bolt refuses a request timestamp older than this. */
const WINDOW_MS = 5 * 60_000;
/** Bounds memory under a flood of forged requests. */
const MAX_REMEMBERED = 10_000;

/**
 * Refuse (401) a request to `path` whose signature was already seen inside Bolt's five-minute window: a
 * captured request replayed within the window carries a valid signature, and Bolt alone would take it again.
 * Older replays fail Bolt's timestamp check.
 */
export function replayGuard(path: string, now: () => number = Date.now): RequestHandler {
  const seen = new Map<string, number>();
  return (req, res, next) => {
    if (req.method !== "POST" || req.path !== path) return next();
    const signature = req.get("x-slack-signature");
    if (!signature) return next(); // Bolt answers 401 for a missing signature.
    const t = now();
    // Oldest first (insertion order): stop at the first one still inside the window.
    for (const [sig, at] of seen) {
      if (t - at <= WINDOW_MS && seen.size < MAX_REMEMBERED) break;
      seen.delete(sig);
    }
    if (seen.has(signature)) {
      res.status(401).send();
      return;
    }
    seen.set(signature, t);
    next();
  };
}
