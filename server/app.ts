import type { RequestListener } from "node:http";
import express from "express";
import type { Config } from "../core/config.ts";
import type { Logger } from "../core/logger.ts";
import type { RequestHandler } from "express";
import type { AnswerResult, ApprovalVote } from "../agent/approvals/approvalDesk.ts";
import type { Autonomy } from "../agent/autonomy/autonomy.ts";
import { sloRouter } from "./routes/slo.ts";
import type { Policy } from "../agent/policy/schema.ts";
import type { IncidentRepository } from "../store/incidentRepository.ts";
import { requireApiReadToken } from "./auth.ts";
import { dashboardRouter, type RunbookBrowser } from "./dashboard/router.ts";
import { errorHandler, notFoundHandler } from "./errorHandler.ts";
import { groupCommit } from "./groupCommit.ts";
import { createMetricsRegistry, registerServerMetrics, type MetricsRegistry } from "./metrics.ts";
import { requestLogger } from "./requestLog.ts";
import { alertsRouter } from "./routes/alerts.ts";
import { approvalsRouter } from "./routes/approvals.ts";
import { undoRouter } from "./routes/undo.ts";
import type { PersonUndo } from "../agent/undo/personUndo.ts";
import { healthRouter, type ReplicaStatus } from "./routes/health.ts";
import { forecastRouter, type ForecastLookup } from "./routes/forecast.ts";
import { incidentsRouter } from "./routes/incidents.ts";
import { metricsRouter } from "./routes/metrics.ts";
import { createWebhook, isWebhookRequest } from "./webhook.ts";

/** Everything the HTTP app needs, built once at start-up by the caller. */
export interface AppDeps {
  config: Readonly<Config>;
  policy: Policy;
  incidents: IncidentRepository;
  /**
   * Called after a notification is committed with the incidents that were created or joined: hand them to
   * the agent here (enqueue, do not await). Runs before the 202 goes out; a throw is logged, not answered.
   */
  onAccepted(incidentIds: string[]): void;
  logger: Logger;
  /** Shared registry (the agent adds its own metrics to it); a private one when absent. */
  metrics?: MetricsRegistry;
  /** Take a person's answer to an incident waiting for approval (enables the approve/reject routes). */
  answerApproval?: (incidentId: string, vote: ApprovalVote) => Promise<AnswerResult>;
  /** A person's undo of the action an incident sent (enables `POST /api/incidents/:id/undo`). */
  undoAction?: PersonUndo;
  /** SLOs, budgets and autonomy for `GET /api/slo`. */
  sloReport?: Autonomy["report"];
  /** Bolt's receiver (signature check, then events, interactions and slash commands) for `/slack/events`. */
  slackHandlers?: RequestHandler[];
  /** The runbook memory, browsable from the dashboard. */
  runbooks?: RunbookBrowser;
  /** Which store this process uses and whether it leads the replicas (reported by `/healthz`). */
  replica?: () => ReplicaStatus;
  /** The forecasts behind an incident's predictive alerts (enables `GET /api/incidents/:id/forecast`). */
  forecasts?: ForecastLookup;
  /** Where the dashboard's built bundle is (default: server/dashboard/assets, built by `npm run build:dashboard`). */
  dashboardAssets?: string;
}

/**
 * Build the HTTP app: webhook, incident API, health and metrics, as a request listener for startServer.
 * `POST /alerts` goes straight to the webhook; every other request goes through express. It neither
 * listens nor reads the environment.
 */
export function createApp(deps: AppDeps): RequestListener {
  const log = deps.logger.child({ module: "server" });
  const registry = deps.metrics ?? createMetricsRegistry();
  const webhook = createWebhook({
    webhookToken: deps.config.webhookToken,
    policy: deps.policy,
    incidents: groupCommit(deps.incidents),
    onAccepted: deps.onAccepted,
    metrics: registerServerMetrics(registry),
    log,
  });

  const app = express();
  app.disable("x-powered-by");
  // Incidents change under the client; conditional GETs buy nothing and ETags cost a hash per reply.
  app.set("etag", false);
  app.use(requestLogger(log));
  if (deps.slackHandlers) app.use(...deps.slackHandlers);
  app.use(alertsRouter(webhook));
  // Reads of /api need the API token unless AEGIS_API_PUBLIC; changes check it on their own routes.
  app.get(/^\/api(\/|$)/i, requireApiReadToken(deps.config.apiToken, deps.config.apiPublic));
  if (deps.forecasts) app.use(forecastRouter({ incidents: deps.incidents, forecasts: deps.forecasts }));
  app.use(incidentsRouter({ incidents: deps.incidents }));
  if (deps.answerApproval) {
    app.use(
      approvalsRouter({
        apiToken: deps.config.apiToken,
        answer: deps.answerApproval,
      }),
    );
  }
  if (deps.undoAction) app.use(undoRouter({ apiToken: deps.config.apiToken, undo: deps.undoAction }));
  if (deps.sloReport) app.use(sloRouter({ report: deps.sloReport }));
  app.use(healthRouter({ incidents: deps.incidents, ...(deps.replica ? { replica: deps.replica } : {}) }));
  app.use(
    dashboardRouter({
      config: deps.config,
      policy: deps.policy,
      incidents: deps.incidents,
      log,
      answer: deps.answerApproval,
      undo: deps.undoAction,
      runbooks: deps.runbooks,
      slo: deps.sloReport,
      forecasts: deps.forecasts,
      assetsDir: deps.dashboardAssets,
    }),
  );
  app.use(metricsRouter({ registry, incidents: deps.incidents }));
  app.use(notFoundHandler);
  app.use(errorHandler);

  return (req, res) => {
    if (isWebhookRequest(req)) webhook(req, res);
    else app(req, res);
  };
}
