import { Router } from "express";
import type { WebhookHandler } from "../webhook.ts";

/**
 * `POST /alerts` as express sees it. createApp hands these requests to the webhook before express runs at
 * all (server/webhook.ts); the route stays declared so express still answers `OPTIONS /alerts` with
 * `Allow: POST`, and should a request reach it anyway it is served by the same handler.
 */
export function alertsRouter(webhook: WebhookHandler): Router {
  const router = Router();
  router.post("/alerts", (req, res) => webhook(req, res));
  return router;
}
