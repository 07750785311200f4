import express, { Router, type RequestHandler } from "express";
import type { z } from "zod";
import { webhookSchema } from "../../core/alert.ts";
import { AegisError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import type { Policy } from "../../agent/policy/schema.ts";
import { resolveTarget } from "../../agent/target/resolveTarget.ts";
import type { IngestOutcome } from "../../store/incidentRepository.ts";
import { requireWebhookToken } from "../auth.ts";
import { HttpError } from "../errorHandler.ts";
import type { GroupIngest } from "../groupCommit.ts";
import type { ServerMetrics } from "../metrics.ts";

/** Largest webhook body accepted (after decompression). Alertmanager caps a notification at 1000 alerts. */
export const WEBHOOK_BODY_LIMIT = "1mb";

export interface AlertsRouteDeps {
  webhookToken: string | undefined;
  policy: Policy;
  /** The repository's ingest behind group commit (server/groupCommit.ts). */
  incidents: GroupIngest;
  onAccepted(incidentIds: string[]): void;
  metrics: ServerMetrics;
  log: Logger;
}

/** Outcomes that give the agent something to do. */
const AGENT_OUTCOMES: ReadonlySet<IngestOutcome["outcome"]> = new Set(["created", "joined"]);

/**
 * `POST /alerts`, the Alertmanager webhook (v4). Order matters: token, media type, body size and JSON,
 * schema, then one transaction; the reply (202) goes out only after the commit, and the agent runs later.
 */
export function alertsRouter(deps: AlertsRouteDeps): Router {
  const router = Router();
  router.post(
    "/alerts",
    measure(deps.metrics),
    requireWebhookToken(deps.webhookToken),
    requireJson,
    express.json({ limit: WEBHOOK_BODY_LIMIT }),
    async (req, res) => {
      const parsed = webhookSchema.safeParse(req.body);
      if (!parsed.success) throw new AegisError("alert_payload_invalid", describeIssue(parsed.error));
      const payload = parsed.data;
      if (payload.truncatedAlerts > 0) {
        deps.log.warn(
          { groupKey: payload.groupKey, truncatedAlerts: payload.truncatedAlerts },
          "Alertmanager truncated this notification; the missing alerts arrive with a later one",
        );
      }

      const incoming = payload.alerts.map((alert) => ({
        alert,
        target: resolveTarget(alert.labels, deps.policy),
      }));
      const outcomes = await deps.incidents.ingest(incoming);

      for (const o of outcomes) deps.metrics.alertsReceived.inc({ outcome: o.outcome });
      const forAgent = [
        ...new Set(outcomes.filter((o) => AGENT_OUTCOMES.has(o.outcome)).map((o) => o.incidentId)),
      ];
      if (forAgent.length > 0) handOver(deps, forAgent);

      res.status(202).json({
        accepted: outcomes.length,
        incidents: outcomes.map((o) => ({
          id: o.incidentId,
          fingerprint: o.fingerprint,
          outcome: o.outcome,
        })),
      });
    },
  );
  return router;
}

/**
 * The incidents are committed; a failing hand-over must not turn that into an error reply, or Alertmanager
 * would retry a notification that is already stored (and then only count it as a repeat). The agent picks up
 * unfinished incidents from the store when it starts, so nothing is lost.
 */
function handOver(deps: AlertsRouteDeps, incidentIds: string[]): void {
  try {
    deps.onAccepted(incidentIds);
  } catch (err) {
    deps.log.error(
      { err, incidentIds },
      "could not hand incidents to the agent; they stay open in the store",
    );
  }
}

/** Count every webhook request by status and time it, including the ones rejected before the body is read. */
function measure(metrics: ServerMetrics): RequestHandler {
  return (_req, res, next) => {
    const start = process.hrtime.bigint();
    res.on("finish", () => {
      metrics.webhookRequests.inc({ code: String(res.statusCode) });
      metrics.webhookDuration.observe(Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}

/** express.json() silently skips other media types; the webhook must say what it sent. */
const requireJson: RequestHandler = (req, _res, next) => {
  if (req.is("application/json")) return next();
  const got = req.get("content-type");
  next(
    new HttpError(
      415,
      "unsupported_media_type",
      `expected Content-Type application/json, got ${got ? JSON.stringify(got) : "none"}`,
    ),
  );
};

/** The first schema issue as `path: message`, e.g. `alerts.0.labels: Invalid input: expected record, ...`. */
function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid webhook payload";
  const path = issue.path.map(String).join(".");
  return `${path || "(body)"}: ${issue.message}`;
}
