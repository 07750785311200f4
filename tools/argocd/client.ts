import { AegisError } from "../../core/errors.ts";

/** One entry of an Application's `status.history`: a sync that deployed `revision`. */
export interface ArgocdHistoryEntry {
  id: number;
  revision: string;
  deployedAt?: string;
}

/** The parts of an Argo CD Application the rollback reads. */
export interface ArgocdApplication {
  name: string;
  history: ArgocdHistoryEntry[];
  /** The revision the live state was last synced to. */
  syncedRevision: string | undefined;
  /** Auto-sync on: Argo CD refuses a rollback (it would sync the bad release straight back). */
  automated: boolean;
  health: string | undefined;
}

/** Where Argo CD is and how to authenticate (`ARGOCD_SERVER`, `ARGOCD_TOKEN`). */
export interface ArgocdOptions {
  server: string;
  token: string;
  timeoutMs?: number;
}

/** A thin client of Argo CD's REST API (`/api/v1/applications`), bearer-token authenticated. */
export interface ArgocdClient {
  readonly server: string;
  getApplication(name: string): Promise<ArgocdApplication>;
  /** POST /api/v1/applications/{name}/rollback with the history id to go back to. */
  rollback(name: string, id: number): Promise<void>;
}

interface WireApplication {
  metadata?: { name?: string };
  spec?: { syncPolicy?: { automated?: unknown } };
  status?: {
    history?: Array<{ id?: number | string; revision?: string; deployedAt?: string }>;
    sync?: { revision?: string };
    health?: { status?: string };
  };
}

/** Build the client; nothing is sent until a method is called. */
export function createArgocdClient(opts: ArgocdOptions): ArgocdClient {
  const base = opts.server.replace(/\/+$/, "");
  const root = /^https?:\/\//.test(base) ? base : `https://${base}`;

  async function call(method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${root}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${opts.token}`,
          accept: "application/json",
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new AegisError("tool_failed", `Argo CD at ${root} unreachable: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const text = await res.text();
    if (!res.ok) {
      // Argo CD answers errors as grpc-gateway JSON: {"error": ..., "code": <grpc code>, "message": ...}.
      let message = text.slice(0, 300);
      try {
        const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
        if (typeof parsed.message === "string") message = parsed.message;
        else if (typeof parsed.error === "string") message = parsed.error;
      } catch {
        // not JSON: keep the text
      }
      const why =
        res.status === 401
          ? "the token was refused (ARGOCD_TOKEN missing, expired or revoked)"
          : res.status === 403
            ? "the token may not do this (or the application does not exist)"
            : res.status === 404
              ? "no such application"
              : `HTTP ${res.status}`;
      throw new AegisError("tool_failed", `Argo CD ${method} ${path}: ${why}: ${message}`, {
        details: { status: res.status },
      });
    }
    return text ? (JSON.parse(text) as unknown) : {};
  }

  return {
    server: root,
    async getApplication(name) {
      const app = (await call("GET", `/api/v1/applications/${encodeURIComponent(name)}`)) as WireApplication;
      return {
        name: app.metadata?.name ?? name,
        // int64 ids may come as JSON strings from grpc-gateway.
        history: (app.status?.history ?? []).map((h) => ({
          id: Number(h.id ?? 0),
          revision: h.revision ?? "",
          ...(h.deployedAt ? { deployedAt: h.deployedAt } : {}),
        })),
        syncedRevision: app.status?.sync?.revision,
        automated: app.spec?.syncPolicy?.automated != null,
        health: app.status?.health?.status,
      };
    },
    async rollback(name, id) {
      await call("POST", `/api/v1/applications/${encodeURIComponent(name)}/rollback`, { name, id });
    },
  };
}
