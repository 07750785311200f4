import { clientAddress } from "../clientAddress.ts";
import { existsSync } from "node:fs";
import { basename } from "node:path";
import type { Server } from "node:http";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import express, { Router, type Request, type RequestHandler } from "express";
import { z } from "zod";
import type { Policy } from "../../agent/policy/schema.ts";
import type { Config } from "../../core/config.ts";
import { AegisError, describeError } from "../../core/errors.ts";
import { INCIDENT_STATUSES } from "../../core/types.ts";
import type { Logger } from "../../core/logger.ts";
import { redactValue } from "../../core/redact.ts";
import type { MemoryHit } from "../../runbooks/memory/fixMemory.ts";
import type { MemoryEntry } from "../../runbooks/memory/runbookMemory.ts";
import { entrySummary, hitSummary } from "../../runbooks/memory/summaries.ts";
import type { IncidentRepository } from "../../store/incidentRepository.ts";
import { HttpError } from "../errorHandler.ts";
import { takeAnswer, type AnswerApproval } from "../routes/approvals.ts";
import { answerUndo } from "../routes/undo.ts";
import type { PersonUndo } from "../../agent/undo/personUndo.ts";
import type { ForecastLookup } from "../routes/forecast.ts";
import { createIncidentFeed, type IncidentFeed } from "./feed.ts";
import { createLoginThrottle } from "./loginThrottle.ts";
import { CSRF_HEADER, createSessions, sessionCookie, type Access, type Sessions } from "./session.ts";
import { matchesFilter, type RowFilter } from "./rowFilter.ts";
import { autonomy, incidentRow, incidentView, stats } from "./views.ts";

/** Where `npm run build:dashboard` puts the page's bundle. */
// Beside this module, in a source checkout and in the built package alike (scripts/build.mjs copies it to dist/).
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL("./assets/", import.meta.url));

/** The runbook memory as the dashboard reads it. */
export interface RunbookBrowser {
  list(): MemoryEntry[];
  show(key: string): MemoryEntry | undefined;
  search(text: string, limit: number): Promise<MemoryHit[]>;
}

export interface DashboardDeps {
  config: Pick<Config, "apiToken" | "dashboardPublic" | "mode">;
  incidents: IncidentRepository;
  policy: Policy;
  log: Logger;
  assetsDir?: string | undefined;
  runbooks?: RunbookBrowser | undefined;
  /** Resume an incident awaiting approval (enables the Approve/Reject buttons). */
  answer?: AnswerApproval | undefined;
  /** A person's undo of an incident's action (enables the Undo button). */
  undo?: PersonUndo | undefined;
  /** The predictive watcher's forecasts behind an incident's alerts (the chart of a predictive incident). */
  forecasts?: ForecastLookup | undefined;
  /** SLOs, budgets, burn rates, action records and breakers (the autonomy report). */
  slo?: (() => Promise<unknown>) | undefined;
  /** Defaults: signed sessions from the config, a feed polling `incidents`. */
  sessions?: Sessions;
  feed?: IncidentFeed;
}

/** How many of the newest incidents the overview's figures are drawn from. */
const STATS_WINDOW = 500;
/** How many of the newest incidents the list filters and pages through. */
const LIST_WINDOW = 500;
const PAGE_DEFAULT = 25;
const PAGE_MAX = 100;
const HEARTBEAT_MS = 15_000;
const SHUTDOWN_CHECK_MS = 250;

const PAGE_HEADERS = {
  "Content-Security-Policy":
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
};

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AegisOps</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<div id="app"></div>
<script type="module" src="/assets/app.js"></script>
</body>
</html>
`;

/**
 * The dashboard: the page at `/`, its bundle under `/assets/`, and the JSON it reads under `/ui/api/`
 * (cookie session, redacted). Reading needs a login unless AEGIS_DASHBOARD_PUBLIC=true; approving always
 * needs a login plus the session's CSRF token in a header.
 */
export function dashboardRouter(options: DashboardDeps): Router {
  const assetsDir = options.assetsDir ?? DEFAULT_ASSETS_DIR;
  const deps = {
    ...options,
    sessions:
      options.sessions ??
      createSessions({ apiToken: options.config.apiToken, dashboardPublic: options.config.dashboardPublic }),
    feed:
      options.feed ??
      createIncidentFeed({
        incidents: options.incidents,
        onError: (err) => options.log.warn({ err: describeError(err) }, "dashboard feed poll failed"),
      }),
  };
  const router = Router();
  const access = (req: Request): Access => deps.sessions.access(req.get("cookie"));
  const requireRead: RequestHandler = (req, _res, next) => {
    if (access(req).read) return next();
    next(new AegisError("unauthorized", "log in with the API token to read the dashboard"));
  };

  router.get("/", (_req, res) => {
    if (!existsSync(`${assetsDir}/app.js`)) {
      throw new HttpError(
        503,
        "dashboard_not_built",
        "the dashboard's assets are not built: run npm run build:dashboard",
      );
    }
    res.set(PAGE_HEADERS).type("html").send(INDEX_HTML);
  });
  router.use(
    "/assets",
    express.static(assetsDir, {
      index: false,
      fallthrough: false,
      setHeaders: (res) => res.setHeader("Cache-Control", "no-cache"),
    }),
  );

  const throttle = createLoginThrottle();
  router.post("/ui/login", express.json({ limit: "4kb" }), (req, res) => {
    if (!deps.sessions.canLogIn) {
      throw new AegisError("unauthorized", "logging in is disabled: AEGIS_API_TOKEN is not set");
    }
    const address = clientAddress(req);
    const wait = throttle.retryAfter(address);
    if (wait > 0) {
      res.setHeader("Retry-After", String(wait));
      throw new HttpError(429, "too_many_logins", `too many failed logins: try again in ${wait} s`);
    }
    const token = z.object({ token: z.string().min(1).max(4096) }).safeParse(req.body);
    const cookie = token.success ? deps.sessions.logIn(token.data.token) : undefined;
    if (!cookie) {
      throttle.failed(address);
      deps.log.warn({ ip: address }, "dashboard login refused");
      throw new AegisError("unauthorized", "that is not the API token");
    }
    throttle.succeeded(address);
    deps.log.info({ ip: address }, "dashboard login");
    res.setHeader("Set-Cookie", sessionCookie(cookie, req.secure));
    res.status(204).end();
  });
  router.post("/ui/logout", (req, res) => {
    res.setHeader("Set-Cookie", sessionCookie("", req.secure));
    res.status(204).end();
  });
  router.get("/ui/api/session", (req, res) => {
    const a = access(req);
    res.set("Cache-Control", "no-store").json({
      read: a.read,
      loggedIn: a.loggedIn,
      canLogIn: deps.sessions.canLogIn,
      canApprove: a.loggedIn && deps.answer !== undefined,
      canUndo: a.loggedIn && deps.undo !== undefined,
      ...(a.csrf ? { csrf: a.csrf } : {}),
    });
  });

  router.get("/ui/api/incidents", requireRead, async (req, res) => {
    const q = parseListQuery(req.query);
    const scanned = await deps.incidents.listSummaries({ status: q.status, limit: LIST_WINDOW });
    const rows = scanned.map(incidentRow).filter((r) => matchesFilter(r, q));
    let from = 0;
    if (q.after !== undefined) {
      from = rows.findIndex((r) => r.id === q.after) + 1;
      if (from === 0) throw new HttpError(400, "request_invalid", `no incident ${q.after} in this listing`);
    }
    const page = rows.slice(from, from + q.limit);
    const more = from + q.limit < rows.length;
    res.json({
      incidents: page,
      next: more ? page.at(-1)!.id : null,
      // The listing looks at the newest LIST_WINDOW incidents (of the status asked for) and no further.
      ...(scanned.length === LIST_WINDOW ? { window: LIST_WINDOW } : {}),
    });
  });
  router.get("/ui/api/incidents/:id", requireRead, async (req, res) => {
    const incident = await deps.incidents.get(String(req.params.id));
    if (!incident) throw new AegisError("not_found", `no incident with id ${JSON.stringify(req.params.id)}`);
    res.json(incidentView(incident, deps.forecasts?.(incident.alerts) ?? []));
  });
  router.get("/ui/api/stats", requireRead, async (_req, res) => {
    const [recent, byStatus] = await Promise.all([
      deps.incidents.listSummaries({ limit: STATS_WINDOW }),
      deps.incidents.countByStatus(),
    ]);
    res.json(stats(recent, byStatus));
  });
  router.get("/ui/api/slo", requireRead, async (_req, res) => {
    res.json(
      deps.slo ? { available: true, ...(redactValue(await deps.slo()) as object) } : { available: false },
    );
  });
  router.get("/ui/api/autonomy", requireRead, (_req, res) => {
    res.json(autonomy(deps.policy, deps.config.mode));
  });
  router.get("/ui/api/runbooks", requireRead, async (req, res) => {
    if (!deps.runbooks) return res.json({ entries: [] });
    const q = typeof req.query.q === "string" ? req.query.q.trim().slice(0, 500) : "";
    if (q) {
      const hits = await deps.runbooks.search(q, 20);
      return res.json({ query: q, entries: redactValue(hits.map(hitSummary)) });
    }
    // File names, not where the server keeps them.
    const entries = deps.runbooks.list().map((e) => ({ ...entrySummary(e), source: nameOf(e.source) }));
    res.json({ entries: redactValue(entries) });
  });
  router.get("/ui/api/runbooks/:key", requireRead, (req, res) => {
    const entry = deps.runbooks?.show(String(req.params.key));
    if (!entry)
      throw new AegisError("not_found", `no runbook memory entry ${JSON.stringify(req.params.key)}`);
    // The file's name, not where the server keeps it.
    res.json(redactValue({ ...entry, source: nameOf(entry.source) }));
  });

  router.get("/ui/api/events", requireRead, (req, res) => {
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Accel-Buffering": "no",
    });
    res.write("retry: 2000\n\n");
    const unsubscribe = deps.feed.subscribe((changed) => {
      for (const i of changed) res.write(`event: incident\ndata: ${JSON.stringify(incidentRow(i))}\n\n`);
    });
    // A comment once the feed has its first look: from here on every change is sent (tests wait for it).
    void deps.feed.ready().then(() => res.write(": ready\n\n"));
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
    heartbeat.unref();
    // A stream never ends by itself: end it when the server stops listening, so shutdown needs no grace period.
    const server = (req.socket as Socket & { server?: Server }).server;
    const closing = setInterval(() => server?.listening === false && res.end(), SHUTDOWN_CHECK_MS);
    closing.unref();
    req.on("close", () => {
      clearInterval(heartbeat);
      clearInterval(closing);
      unsubscribe();
    });
  });

  for (const verb of ["approve", "reject"] as const) {
    router.post(`/ui/api/incidents/:id/${verb}`, express.json({ limit: "16kb" }), async (req, res) => {
      const a = access(req);
      if (!a.loggedIn) throw new AegisError("unauthorized", `log in with the API token to ${verb}`);
      if (!deps.sessions.csrfValid(req.get("cookie"), req.get(CSRF_HEADER)) || crossSite(req)) {
        throw new HttpError(403, "csrf_rejected", `${verb} needs the page's CSRF token from the same site`);
      }
      if (!deps.answer) throw new HttpError(503, "approvals_unavailable", "approvals are not wired in");
      res.status(202).json(await takeAnswer(deps.answer, String(req.params.id), verb, req.body, "dashboard"));
    });
  }
  router.post("/ui/api/incidents/:id/undo", express.json({ limit: "16kb" }), async (req, res) => {
    const a = access(req);
    if (!a.loggedIn) throw new AegisError("unauthorized", "log in with the API token to undo");
    if (!deps.sessions.csrfValid(req.get("cookie"), req.get(CSRF_HEADER)) || crossSite(req)) {
      throw new HttpError(403, "csrf_rejected", "undo needs the page's CSRF token from the same site");
    }
    if (!deps.undo) throw new HttpError(503, "undo_unavailable", "undo is not wired in");
    await answerUndo(deps.undo, String(req.params.id), req.body, "dashboard", res, "dashboard");
  });
  return router;
}

/** A browser that says where the request came from says it came from another site. */
function crossSite(req: Request): boolean {
  const site = req.get("sec-fetch-site");
  if (site && site !== "same-origin") return true;
  const origin = req.get("origin");
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== req.get("host");
  } catch {
    return true; // "null" (a sandboxed or privacy-hidden origin) or garbage
  }
}

const listQuery = z
  .object({
    status: z.enum(INCIDENT_STATUSES).optional(),
    source: z.enum(["alert", "predictive"]).optional(),
    target: z.string().trim().max(200).optional(),
    after: z.string().min(1).max(100).optional(),
    limit: z.coerce.number().int().min(1).max(PAGE_MAX).default(PAGE_DEFAULT),
  })
  .strict();

type ListQuery = RowFilter & z.infer<typeof listQuery>;

/** The list's query string: filters, a page size, and `after` (the last id of the page before). */
function parseListQuery(query: unknown): ListQuery {
  const parsed = listQuery.safeParse(query);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  throw new HttpError(400, "request_invalid", `${where}${issue.message}`);
}

const nameOf = (source: string | null) => (source === null ? null : basename(source));
