/** What the server says this browser may do. */
export interface Session {
  read: boolean;
  loggedIn: boolean;
  canLogIn: boolean;
  canApprove: boolean;
  canUndo?: boolean;
  csrf?: string;
}

/** A failed request, with the server's one-line message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The server's error code, and whether asking again with confirm would run it (an undo's warning). */
    readonly code?: string,
    readonly confirmable?: boolean,
  ) {
    super(message);
  }
}

async function check(res: Response): Promise<Response> {
  if (res.ok) return res;
  let message = `HTTP ${res.status}`;
  let body: { message?: string; error?: string; confirmable?: boolean } = {};
  try {
    body = (await res.json()) as typeof body;
    if (body.message) message = body.message;
  } catch {
    // not JSON: keep the status line
  }
  throw new ApiError(res.status, message, body.error, body.confirmable === true);
}

/** GET a JSON document from the dashboard's API. */
export async function getJson<T>(path: string): Promise<T> {
  return (await (await check(await fetch(path, { credentials: "same-origin" }))).json()) as T;
}

/** POST JSON (with the session's CSRF token when there is one). */
export async function postJson(path: string, body: unknown, csrf?: string): Promise<void> {
  await check(
    await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", ...(csrf ? { "x-aegis-csrf": csrf } : {}) },
      body: JSON.stringify(body),
    }),
  );
}

/** One row of the incident list (server/dashboard/views.ts IncidentRow). */
export interface IncidentRow {
  id: string;
  status: string;
  statusReason: string | null;
  title: string;
  target: string;
  source: "alert" | "predictive";
  action: string | null;
  receivedAt: string;
  resolvedAt: string | null;
  mttrMs: number | null;
}

/** Format an ISO time for people (local time, seconds). */
export function when(iso: string | null | undefined): string {
  if (!iso) return "–";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** Format a duration in milliseconds. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "–";
  const s = ms / 1000;
  if (s < 90) return `${s.toFixed(1)} s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
