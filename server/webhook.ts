import type { IncomingMessage, ServerResponse } from "node:http";
import parseurl from "parseurl";
import type { z } from "zod";
import { webhookSchema } from "../core/alert.ts";
import { redactValue } from "../core/redact.ts";
import { AegisError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { Policy } from "../agent/policy/schema.ts";
import { resolveTarget } from "../agent/targeting/resolveTarget.ts";
import { webhookTokenCheck, WWW_AUTHENTICATE } from "./auth.ts";
import { readJsonBody } from "./body.ts";
import { classifyError, type RequestFailure } from "./errorHandler.ts";
import { forbiddenKeyIssue } from "./forbiddenKeys.ts";
import { createRequestLine } from "./requestLog.ts";
import type { GroupIngest } from "./groupCommit.ts";
import type { ServerMetrics } from "./metrics.ts";

/** Largest webhook body accepted (after decompression). Alertmanager caps a notification at 1000 alerts. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

export interface WebhookDeps {
  webhookToken: string | undefined;
  policy: Policy;
  /** The repository's ingest behind group commit (server/groupCommit.ts). */
  incidents: GroupIngest;
  onAccepted(incidentIds: string[]): void;
  metrics: ServerMetrics;
  log: Logger;
}

export type WebhookHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * `POST /alerts`, the Alertmanager webhook (v4), on bare node `http`: it is the one hot route, and the
 * express stack (router, body-parser, res.json, per-request listeners) cost more CPU than the rest of the
 * request put together. Errors are answered in the API's JSON shape and logged through the server's one
 * request log (server/requestLog.ts). Order
 * matters: token, media type, body size and JSON, schema, then one transaction; the 202 goes out only after
 * the commit, and the agent runs later.
 */
export function createWebhook(deps: WebhookDeps): WebhookHandler {
  const checkToken = webhookTokenCheck(deps.webhookToken);
  const { metrics, log } = deps;
  const line = createRequestLine(log);

  /** Count and log a finished reply. */
  const record = (req: IncomingMessage, started: number, status: number, failure?: RequestFailure) => {
    const ms = performance.now() - started;
    metrics.webhookRequests.inc({ code: String(status) });
    metrics.webhookDuration.observe(ms / 1000);
    if (status < 400 && !log.isLevelEnabled("debug")) return;
    const url = req.url ?? "";
    const query = url.indexOf("?");
    line({ method: req.method, path: query < 0 ? url : url.slice(0, query), status, ms }, failure);
  };

  /**
   * Send a JSON reply (the head and a string body go out in one write). It is counted and logged once it
   * has gone out, on "finish": a reply to a client that is gone never finishes and is not counted.
   */
  const reply = (
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
    status: number,
    body: string,
    failure?: RequestFailure,
    extra?: "challenge" | "close",
  ) => {
    const headers = [
      "Content-Type",
      "application/json; charset=utf-8",
      "Content-Length",
      String(Buffer.byteLength(body)),
    ];
    if (extra === "challenge") headers.unshift("WWW-Authenticate", WWW_AUTHENTICATE);
    // The rest of an oversized body is never read: the connection cannot carry another request.
    else if (extra === "close") headers.push("Connection", "close");
    res.once("finish", () => record(req, started, status, failure));
    res.writeHead(status, headers);
    res.end(body);
  };

  const fail = (
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
    failure: RequestFailure,
    extra?: "challenge" | "close",
  ) => {
    const body = JSON.stringify({ error: failure.code, message: failure.message });
    reply(req, res, started, failure.status, body, failure, extra);
  };

  const accept = async (req: IncomingMessage, res: ServerResponse, started: number) => {
    const body = await readJsonBody(req, {
      limit: WEBHOOK_BODY_LIMIT,
      // The webhook's own code for malformed JSON only on the exact path `/alerts`; the spellings express
      // would also route here (`/alerts/`, `/ALERTS`) get the generic one.
      malformedCode: requestPathname(req) === "/alerts" ? "alert_payload_invalid" : "request_invalid",
    });
    if (body.kind === "aborted") return;
    if (body.kind === "rejected") {
      fail(req, res, started, body.failure, body.closeConnection ? "close" : undefined);
      return;
    }

    const forbidden = forbiddenKeyIssue(body.value);
    if (forbidden) throw new AegisError("alert_payload_invalid", forbidden);
    const parsed = webhookSchema.safeParse(body.value);
    if (!parsed.success) throw new AegisError("alert_payload_invalid", describeIssue(parsed.error));
    // Alerts enter the incident here: labels and annotations (people paste curl lines and URLs into them)
    // are redacted once, before anything is resolved, stored, logged or answered.
    const payload = redactValue(parsed.data);
    if (payload.truncatedAlerts > 0) {
      log.warn(
        { groupKey: payload.groupKey, truncatedAlerts: payload.truncatedAlerts },
        "Alertmanager truncated this notification; the missing alerts arrive with a later one",
      );
    }

    const incoming = payload.alerts.map((alert) => ({
      alert,
      target: resolveTarget(alert.labels, deps.policy),
    }));
    const outcomes = await deps.incidents.ingest(incoming);

    // Created and joined incidents give the agent something to do; repeats and resolutions do not.
    const forAgent: string[] = [];
    for (const o of outcomes) {
      metrics.alertsReceived.inc({ outcome: o.outcome });
      if (o.outcome === "created" || o.outcome === "joined") forAgent.push(o.incidentId);
    }
    // Several alerts of one notification often land in one incident: hand each incident over once.
    if (forAgent.length > 0) handOver(deps, forAgent.length > 1 ? [...new Set(forAgent)] : forAgent);

    const reply202 = JSON.stringify({
      accepted: outcomes.length,
      incidents: outcomes.map((o) => ({ id: o.incidentId, fingerprint: o.fingerprint, outcome: o.outcome })),
    });
    reply(req, res, started, 202, reply202);
  };

  return (req, res) => {
    const started = performance.now();
    // The token comes first, before the body is read: a rejected request costs no parsing and writes nothing.
    const refusal = checkToken(req.headers.authorization);
    if (refusal !== undefined) {
      fail(req, res, started, { status: 401, code: "unauthorized", message: refusal }, "challenge");
      return;
    }
    accept(req, res, started).catch((err: unknown) => {
      // Too late to answer cleanly: drop the connection.
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // Schema errors and store failures, answered as the rest of the API answers them.
      fail(req, res, started, classifyError(err));
    });
  };
}

/** Express's route `POST /alerts`: not case-sensitive, one trailing slash allowed. */
const WEBHOOK_PATH = /^\/alerts\/?$/i;

/** Whether express would have routed this request to `POST /alerts`; those go to the webhook instead. */
export function isWebhookRequest(req: IncomingMessage): boolean {
  return req.method === "POST" && WEBHOOK_PATH.test(requestPathname(req));
}

/** The path of a request URL as express's router reads it (parseurl, which caches it on the request). */
function requestPathname(req: IncomingMessage): string {
  return parseurl(req)?.pathname ?? "";
}

/**
 * The incidents are committed; a failing hand-over must not turn that into an error reply, or Alertmanager
 * would retry a notification that is already stored (and then only count it as a repeat). The agent picks up
 * unfinished incidents from the store when it starts, so nothing is lost.
 */
function handOver(deps: WebhookDeps, incidentIds: string[]): void {
  try {
    deps.onAccepted(incidentIds);
  } catch (err) {
    deps.log.error(
      { err, incidentIds },
      "could not hand incidents to the agent; they stay open in the store",
    );
  }
}

/** The first schema issue as `path: message`, e.g. `alerts.0.labels: Invalid input: expected record, ...`. */
function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid webhook payload";
  const path = issue.path.map(String).join(".");
  return `${path || "(body)"}: ${issue.message}`;
}
