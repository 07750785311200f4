import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type KubeSim, resourceOf, type Deployment, type PodTemplate } from "@aegisops/kube-sim";
import { createKubeClients } from "../../tools/kubernetes/client.ts";

interface HistoryEntry {
  id: number;
  revision: string;
  deployedAt: string;
  deployStartedAt: string;
  source: { repoURL: string; path: string; targetRevision: string };
  /** What this deployment put in the cluster (the fake's stand-in for rendering the commit's manifests). */
  template: PodTemplate;
}

interface FakeApp {
  name: string;
  namespace: string;
  deployment: string;
  automated: boolean;
  history: HistoryEntry[];
  outOfSync: boolean;
}

/** A call the fake received, as sent. */
export interface ArgocdCall {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

/**
 * A local Argo CD API server speaking its REST wire format (GET /api/v1/applications/{name}, POST
 * .../rollback {name, id}; grpc-gateway error bodies {error, code, message}). A rollback renders the older
 * deployment into the simulated cluster, as Argo CD's sync of the older commit would.
 */
export interface FakeArgocd {
  url: string;
  calls: ArgocdCall[];
  /** The bearer token it accepts; anything else gets 401. */
  token: string;
  /** Manage a Deployment as an Application; its current template becomes history id 0. */
  manage(app: string, namespace: string, deployment: string, opts?: { automated?: boolean }): void;
  /** Record the Deployment's current template as the application's newest sync (a release Argo CD deployed). */
  synced(app: string): void;
  stop(): Promise<void>;
}

const REPO = "https://git.example.com/shop/deploy.git";

export async function startFakeArgocd(opts: { token: string; sim: () => KubeSim }): Promise<FakeArgocd> {
  const apps = new Map<string, FakeApp>();
  const calls: ArgocdCall[] = [];
  let seq = 0;
  const deploymentOf = (a: FakeApp) =>
    opts.sim().ctx.store.get(resourceOf("Deployment"), a.namespace, a.deployment) as Deployment;
  const now = () => new Date(opts.sim().clock.now()).toISOString();
  const record = (a: FakeApp) => {
    const revision = (++seq).toString(16).padStart(8, "0").repeat(5);
    a.history.push({
      id: a.history.length,
      revision,
      deployedAt: now(),
      deployStartedAt: now(),
      source: { repoURL: REPO, path: `apps/${a.name}`, targetRevision: "HEAD" },
      template: structuredClone(deploymentOf(a).spec.template),
    });
  };
  const wire = (a: FakeApp) => ({
    metadata: { name: a.name, namespace: "argocd" },
    spec: {
      project: "default",
      source: { repoURL: REPO, path: `apps/${a.name}`, targetRevision: "HEAD" },
      destination: { server: "https://kubernetes.default.svc", namespace: a.namespace },
      syncPolicy: a.automated ? { automated: { prune: true, selfHeal: true } } : {},
    },
    status: {
      sync: { status: a.outOfSync ? "OutOfSync" : "Synced", revision: a.history.at(-1)?.revision },
      health: { status: "Healthy" },
      history: a.history.map(({ template: _t, ...h }) => h),
    },
  });
  const fail = (res: ServerResponse, status: number, code: number, message: string) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: message, code, message }));
  };

  const fake: FakeArgocd = {
    url: "",
    calls,
    token: opts.token,
    manage(app, namespace, deployment, o = {}) {
      const a: FakeApp = {
        name: app,
        namespace,
        deployment,
        automated: o.automated ?? false,
        history: [],
        outOfSync: false,
      };
      apps.set(app, a);
      record(a);
    },
    synced(app) {
      record(apps.get(app)!);
    },
    async stop() {
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body: unknown = text ? JSON.parse(text) : undefined;
    const path = new URL(req.url ?? "/", "http://x").pathname;
    calls.push({ method: req.method ?? "", path, authorization: req.headers.authorization, body });
    if (req.headers.authorization !== `Bearer ${fake.token}`) {
      return fail(res, 401, 16, "invalid session: token signature is invalid");
    }
    const m = /^\/api\/v1\/applications\/([^/]+)(\/rollback)?$/.exec(path);
    const a = m ? apps.get(decodeURIComponent(m[1]!)) : undefined;
    if (!m) return fail(res, 404, 5, "Not Found");
    if (!a) return fail(res, 404, 5, `applications.argoproj.io "${decodeURIComponent(m[1]!)}" not found`);
    if (req.method === "GET" && !m[2]) {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify(wire(a)));
    }
    if (req.method !== "POST" || !m[2]) return fail(res, 405, 12, "Method Not Allowed");
    const id = Number((body as { id?: unknown } | undefined)?.id);
    if (a.automated) return fail(res, 400, 9, "rollback cannot be initiated when auto-sync is enabled");
    const to = a.history.find((h) => h.id === id);
    if (!to) return fail(res, 400, 3, `application ${a.name} does not have deployment with id ${id}`);
    // Sync the older commit: its manifests replace the live template.
    const kube = createKubeClients({ kind: "string", yaml: opts.sim().kubeconfig() });
    await kube.apps.patchNamespacedDeployment({
      name: a.deployment,
      namespace: a.namespace,
      body: [{ op: "replace", path: "/spec/template", value: to.template }],
    });
    a.history.push({ ...structuredClone(to), id: a.history.length, deployedAt: now() });
    a.outOfSync = true;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(wire(a)));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => fail(res, 500, 13, String(err)));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
