import { admitServiceAccount } from "../controllers/workloadRbac.ts";
import { defaultIngressClass } from "../controllers/ingress.ts";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseYaml } from "yaml";
import { applyDefaults } from "../admission.ts";
import type { Clock } from "../clock.ts";
import type { ResourceDef } from "../resources.ts";
import { RESOURCES, apiVersionOf, findResource, resourceOf } from "../resources.ts";
import type { Store } from "../store.ts";
import type { Deployment, KubeObject, Pod } from "../types.ts";
import {
  AGGREGATED_CT,
  aggregatedDiscovery,
  legacyCoreVersions,
  legacyGroup,
  legacyGroupList,
  resourceList,
  wantsAggregated,
} from "./discovery.ts";
import { openApiDocument, openApiIndex } from "./openapi.ts";
import { jsonPatch } from "./patch/json.ts";
import { mergePatch } from "./patch/merge.ts";
import { strategicMergePatch } from "./patch/strategic.ts";
import { parseFieldSelector, parseLabelSelector, selectorString } from "./selectors.ts";
import { ApiError, notFound, successStatus } from "./status.ts";
import { toTable } from "./tables.ts";
import { streamWatch } from "./watch.ts";
import { requestedGrace } from "../controllers/termination.ts";

/** One API request, resolved to its resource. */
export interface RequestAttributes {
  verb: string;
  resource: ResourceDef;
  subresource: string | undefined;
  namespace: string | undefined;
  name: string | undefined;
}

/** What the router needs from the rest of the simulator. */
export interface ApiBackend {
  store: Store;
  clock: Clock;
  /** Called after every write so the controllers react promptly. */
  afterWrite(): void;
  /** Evicts a pod, honouring PDBs; throws ApiError TooManyRequests when that would break one. */
  evict(namespace: string, name: string): void;
  /** Deletes a pod with the grace period asked for (a hung pod stays Terminating unless it is 0). */
  deletePod(namespace: string, name: string, gracePeriodSeconds: number | undefined): KubeObject;
  /** A container's log (current or previous instance), optionally only its last lines. */
  podLog(
    namespace: string,
    name: string,
    container: string | undefined,
    previous: boolean,
    tail?: number,
  ): string;
  nextClusterIP(): string;
  /** metrics.k8s.io PodMetrics of a namespace (all when undefined), computed now. */
  podMetrics(namespace: string | undefined): KubeObject[];
  /** Authenticates and authorizes; throws ApiError Unauthorized/Forbidden. Non-resource paths pass no attrs. */
  authorize(req: IncomingMessage, attrs: RequestAttributes | undefined): void;
  /** Simulator-only endpoints (/metrics, /sim/...); return true when handled. */
  extra(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<boolean>;
  /** Ends open watch streams on stop. */
  trackWatch(finish: () => void): void;
}

const VERSION = {
  major: "1",
  minor: "32",
  gitVersion: "v1.32.4",
  gitCommit: "kube-sim",
  gitTreeState: "clean",
  buildDate: "2025-04-22T00:00:00Z",
  goVersion: "go1.23.8",
  compiler: "gc",
  platform: "linux/amd64",
};

function send(res: ServerResponse, code: number, body: unknown, contentType = "application/json"): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(code, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const wantsTable = (req: IncomingMessage) => /as=Table/.test(req.headers.accept ?? "");

/** Handles one HTTP request against the simulated API server. */
export async function handle(api: ApiBackend, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  try {
    // DELETE bodies are ignored (drain's fallback sends protobuf DeleteOptions); GET has none.
    const raw = await readBody(req);
    const body = req.method === "GET" || req.method === "DELETE" ? Buffer.alloc(0) : raw;
    if (await api.extra(req, res, url, body)) return;
    const route = await routeNonResource(api, req, url);
    if (route !== undefined) {
      if (route === null) throw new ApiError("NotFound", "the server could not find the requested resource");
      const [ct, payload] = route;
      send(res, 200, payload, ct);
      return;
    }
    await routeResource(api, req, res, url, body);
  } catch (err) {
    const e =
      err instanceof ApiError
        ? err
        : new ApiError(
            "InternalError",
            `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`,
          );
    if (!res.headersSent) send(res, e.code, e.toStatus());
    else res.end();
  }
}

/** Discovery, version and OpenAPI. undefined: not such a path; null: such a path but nothing there. */
async function routeNonResource(
  api: ApiBackend,
  req: IncomingMessage,
  url: URL,
): Promise<[string, unknown] | null | undefined> {
  const p = url.pathname.replace(/\/+$/, "") || "/";
  const json = (v: unknown): [string, unknown] | null => (v === undefined ? null : ["application/json", v]);
  const check = () => api.authorize(req, undefined);
  if (p === "/version") return (check(), json(VERSION));
  if (p === "/healthz" || p === "/livez" || p === "/readyz") return ["text/plain", "ok"];
  if (p === "/api" || p === "/apis") {
    check();
    if (wantsAggregated(req.headers.accept)) return [AGGREGATED_CT, aggregatedDiscovery(p === "/api")];
    return json(p === "/api" ? legacyCoreVersions() : legacyGroupList());
  }
  if (p === "/openapi/v3") return (check(), json(openApiIndex()));
  if (p.startsWith("/openapi/v3/")) return (check(), json(openApiDocument(p.slice("/openapi/v3/".length))));
  if (p === "/openapi/v2") return (check(), null);
  const segs = p.split("/").filter(Boolean);
  if (segs[0] === "api" && segs.length === 2) return (check(), json(resourceList("", segs[1]!)));
  if (segs[0] === "apis" && segs.length === 2) return (check(), json(legacyGroup(segs[1]!)));
  if (segs[0] === "apis" && segs.length === 3) return (check(), json(resourceList(segs[1]!, segs[2]!)));
  return undefined;
}

interface Parsed {
  res: ResourceDef;
  namespace: string | undefined;
  name: string | undefined;
  sub: string | undefined;
}

function parsePath(pathname: string): Parsed {
  const segs = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  let group = "";
  let version: string;
  let rest: string[];
  if (segs[0] === "api") {
    version = segs[1] ?? "";
    rest = segs.slice(2);
  } else if (segs[0] === "apis") {
    group = segs[1] ?? "";
    version = segs[2] ?? "";
    rest = segs.slice(3);
  } else throw new ApiError("NotFound", "the server could not find the requested resource");
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    const inner = findResource(group, version, rest[2]!);
    if (inner?.namespaced) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
  }
  const res = findResource(group, version, rest[0] ?? "");
  if (!res) throw new ApiError("NotFound", "the server could not find the requested resource");
  if (rest.length > 3) throw new ApiError("NotFound", "the server could not find the requested resource");
  const sub = rest[2];
  if (sub && !res.subresources.some((s) => s.name === sub))
    throw new ApiError("NotFound", "the server could not find the requested resource");
  return { res, namespace, name: rest[1], sub };
}

function verbOf(method: string, p: Parsed, url: URL): string {
  switch (method) {
    case "GET":
      if (p.name) return "get";
      return url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1"
        ? "watch"
        : "list";
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return p.name ? "delete" : "deletecollection";
    default:
      throw new ApiError(
        "MethodNotAllowed",
        `the server does not allow this method on the requested resource`,
      );
  }
}

function parseJson(body: Buffer): unknown {
  // kubectl's typed clients (e.g. `kubectl create job --from`) send protobuf, which the simulator does not decode.
  if (body.subarray(0, 4).toString("latin1") === "k8s\0")
    throw new ApiError(
      "UnsupportedMediaType",
      "the simulator accepts JSON bodies only, not application/vnd.kubernetes.protobuf",
    );
  try {
    return JSON.parse(body.toString("utf8")) as unknown;
  } catch {
    throw new ApiError("BadRequest", "the request body is not valid JSON");
  }
}

async function routeResource(
  api: ApiBackend,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  body: Buffer,
): Promise<void> {
  const p = parsePath(url.pathname);
  const verb = verbOf(req.method ?? "GET", p, url);
  api.authorize(req, { verb, resource: p.res, subresource: p.sub, namespace: p.namespace, name: p.name });
  const { store, clock } = api;
  const r = p.res;
  const q = url.searchParams;

  if (p.sub === "log") {
    const tail = q.get("tailLines");
    const text = api.podLog(
      p.namespace ?? "default",
      p.name!,
      q.get("container") ?? undefined,
      q.get("previous") === "true",
      tail ? Number(tail) : undefined,
    );
    send(res, 200, text, "text/plain");
    return;
  }
  if (p.sub === "eviction") {
    if (verb !== "create") throw new ApiError("MethodNotAllowed", "only create is allowed on pods/eviction");
    store.mustGet(r, p.namespace, p.name!);
    api.evict(p.namespace ?? "default", p.name!);
    api.afterWrite();
    send(res, 201, successStatus({ name: p.name, kind: "pods" }));
    return;
  }
  if (p.sub === "scale") {
    await handleScale(api, req, res, p, verb, body);
    return;
  }
  if (r.group === "metrics.k8s.io") return sendMetrics(api, req, res, p, verb, q);

  switch (verb) {
    case "list":
    case "watch": {
      const labels = parseLabelSelector(q.get("labelSelector"));
      const fields = parseFieldSelector(q.get("fieldSelector"));
      if (verb === "watch") {
        const timeout = q.get("timeoutSeconds");
        streamWatch(
          store,
          res,
          {
            resource: r,
            namespace: p.namespace,
            labels,
            fields,
            resourceVersion: q.get("resourceVersion"),
            timeoutSeconds: timeout ? Number(timeout) : null,
            ...(wantsTable(req)
              ? {
                  render: (o: KubeObject) =>
                    toTable(r.kind, [o], o.metadata.resourceVersion ?? "", clock.now()),
                }
              : {}),
          },
          (fin) => api.trackWatch(fin),
        );
        return;
      }
      const rv = store.currentVersion();
      const items = store.view(r, p.namespace).filter((o) => labels(o) && fields(o));
      if (wantsTable(req)) return send(res, 200, toTable(r.kind, items, rv, clock.now()));
      send(res, 200, {
        kind: `${r.kind}List`,
        apiVersion: apiVersionOf(r),
        metadata: { resourceVersion: rv },
        items,
      });
      return;
    }
    case "get": {
      const o = store.mustGet(r, p.namespace, p.name!);
      if (wantsTable(req) && !p.sub)
        return send(res, 200, toTable(r.kind, [o], o.metadata.resourceVersion ?? "", clock.now()));
      send(res, 200, o);
      return;
    }
    case "create": {
      const input = parseJson(body) as KubeObject;
      if (!input || typeof input !== "object")
        throw new ApiError("BadRequest", "the request body must be an object");
      input.metadata ??= { name: "" };
      if (r.namespaced) {
        const ns = p.namespace ?? "default";
        if (input.metadata.namespace && input.metadata.namespace !== ns)
          throw new ApiError(
            "BadRequest",
            "the namespace of the provided object does not match the namespace sent on the request",
          );
        input.metadata.namespace = ns;
        if (!store.get(resourceOf("Namespace"), undefined, ns)) throw notFound("namespaces", "", ns);
      }
      if (input.kind && input.kind !== r.kind)
        throw new ApiError(
          "BadRequest",
          `the kind of the object (${input.kind}) does not match the resource (${r.kind})`,
        );
      applyDefaults(r, input, () => api.nextClusterIP());
      if (r.kind === "Pod") {
        const refused = admitServiceAccount({ store }, input as Pod);
        if (refused) throw new ApiError("Forbidden", refused, { name: input.metadata.name, kind: "pods" });
        admitBarePodPriority(store, input as Pod);
      }
      if (r.kind === "Ingress") admitDefaultIngressClass(store, input);
      const created = store.create(r, input);
      api.afterWrite();
      send(res, 201, created);
      return;
    }
    case "update": {
      const input = parseJson(body) as KubeObject;
      input.metadata ??= { name: p.name! };
      input.metadata.namespace = p.namespace;
      if (input.metadata.name !== p.name)
        throw new ApiError("BadRequest", "the name of the object does not match the name on the URL");
      if (p.sub !== "status") applyDefaults(r, input, () => api.nextClusterIP());
      const updated = store.update(r, input, p.sub === "status" ? "status" : scopeFor(r));
      api.afterWrite();
      send(res, 200, updated);
      return;
    }
    case "patch": {
      const ct = (req.headers["content-type"] ?? "").split(";")[0]!.trim();
      const existing = store.get(r, p.namespace, p.name!);
      if (ct === "application/apply-patch+yaml") {
        const patch = parseYaml(body.toString("utf8")) as KubeObject;
        if (!existing) {
          patch.metadata = { ...patch.metadata, namespace: p.namespace, name: p.name! };
          applyDefaults(r, patch, () => api.nextClusterIP());
          const created = store.create(r, patch);
          api.afterWrite();
          send(res, 201, created);
          return;
        }
        return finishPatch(api, res, r, p, strategicMergePatch(existing, patch) as KubeObject, existing);
      }
      if (!existing) throw notFound(r.plural, r.group, p.name!);
      const patch = parseJson(body);
      let next: unknown;
      if (ct === "application/json-patch+json") next = jsonPatch(existing, patch);
      else if (ct === "application/merge-patch+json") next = mergePatch(existing, patch);
      else if (ct === "application/strategic-merge-patch+json") next = strategicMergePatch(existing, patch);
      else
        throw new ApiError(
          "UnsupportedMediaType",
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
        );
      return finishPatch(api, res, r, p, next as KubeObject, existing);
    }
    case "delete": {
      if (r.kind === "Pod") {
        const gone = api.deletePod(p.namespace ?? "default", p.name!, requestedGrace(q, body));
        api.afterWrite();
        send(res, 200, gone);
        return;
      }
      const gone = store.delete(r, p.namespace, p.name!);
      if (r.kind === "Namespace")
        for (const other of namespacedKinds())
          for (const o of store.list(other, p.name)) store.delete(other, p.name, o.metadata.name);
      api.afterWrite();
      send(res, 200, gone);
      return;
    }
    case "deletecollection": {
      const labels = parseLabelSelector(q.get("labelSelector"));
      const fields = parseFieldSelector(q.get("fieldSelector"));
      const items = store.view(r, p.namespace).filter((o) => labels(o) && fields(o));
      for (const o of items) store.delete(r, o.metadata.namespace, o.metadata.name);
      api.afterWrite();
      send(res, 200, { kind: `${r.kind}List`, apiVersion: apiVersionOf(r), metadata: {}, items });
      return;
    }
  }
}

const namespacedKinds = () => RESOURCES.filter((r) => r.namespaced && r.group !== "metrics.k8s.io");

/** Resources with a /status subresource keep their status on writes to the main resource. */
const scopeFor = (r: ResourceDef) => (r.subresources.some((s) => s.name === "status") ? "spec" : "all");

function finishPatch(
  api: ApiBackend,
  res: ServerResponse,
  r: ResourceDef,
  p: Parsed,
  next: KubeObject,
  existing: KubeObject,
): void {
  if (!next || typeof next !== "object")
    throw new ApiError("BadRequest", "the patch did not produce an object");
  next.metadata = { ...(next.metadata ?? { name: p.name! }), name: p.name!, namespace: p.namespace };
  // A patch that names no resourceVersion applies to the current one.
  if (
    next.metadata.resourceVersion === existing.metadata.resourceVersion ||
    next.metadata.resourceVersion === undefined
  )
    next.metadata.resourceVersion = existing.metadata.resourceVersion;
  if (p.sub !== "status") applyDefaults(r, next, () => api.nextClusterIP());
  const updated = api.store.update(r, next, p.sub === "status" ? "status" : scopeFor(r));
  api.afterWrite();
  send(res, 200, updated);
}

/** metrics.k8s.io is read-only and computed per request, like metrics-server's aggregated API. */
function sendMetrics(
  api: ApiBackend,
  req: IncomingMessage,
  res: ServerResponse,
  p: Parsed,
  verb: string,
  q: URLSearchParams,
): void {
  const r = p.res;
  const items = api.podMetrics(p.namespace);
  if (verb === "get") {
    const o = items.find((x) => x.metadata.name === p.name);
    if (!o) throw new ApiError("NotFound", `${r.plural}.${r.group} "${p.name}" not found`);
    return send(res, 200, o);
  }
  if (verb !== "list")
    throw new ApiError("MethodNotAllowed", "the server does not allow this method on the requested resource");
  const labels = parseLabelSelector(q.get("labelSelector"));
  const fields = parseFieldSelector(q.get("fieldSelector"));
  const picked = items.filter((o) => labels(o) && fields(o));
  if (wantsTable(req)) return send(res, 200, toTable(r.kind, picked, "", api.clock.now()));
  send(res, 200, { kind: `${r.kind}List`, apiVersion: apiVersionOf(r), metadata: {}, items: picked });
}

function toScale(o: KubeObject): unknown {
  const d = o as Deployment;
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
      creationTimestamp: o.metadata.creationTimestamp,
    },
    spec: { replicas: d.spec.replicas ?? 1 },
    status: { replicas: d.status?.replicas ?? 0, selector: selectorString(d.spec.selector) },
  };
}

async function handleScale(
  api: ApiBackend,
  req: IncomingMessage,
  res: ServerResponse,
  p: Parsed,
  verb: string,
  body: Buffer,
): Promise<void> {
  const cur = api.store.mustGet(p.res, p.namespace, p.name!);
  if (verb === "get") return send(res, 200, toScale(cur));
  let replicas: unknown;
  if (verb === "update") {
    replicas = (parseJson(body) as { spec?: { replicas?: unknown } }).spec?.replicas;
  } else if (verb === "patch") {
    const ct = (req.headers["content-type"] ?? "").split(";")[0]!.trim();
    const patch = parseJson(body);
    const scale = toScale(cur);
    const next =
      ct === "application/json-patch+json"
        ? jsonPatch(scale, patch)
        : ct === "application/strategic-merge-patch+json"
          ? strategicMergePatch(scale, patch)
          : mergePatch(scale, patch);
    replicas = (next as { spec?: { replicas?: unknown } }).spec?.replicas;
  } else
    throw new ApiError("MethodNotAllowed", "the server does not allow this method on the scale subresource");
  if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0)
    throw new ApiError(
      "Invalid",
      `Scale.autoscaling "${p.name}" is invalid: spec.replicas: Invalid value: must be greater than or equal to 0`,
    );
  const spec = { ...(cur.spec as object), replicas };
  const updated = api.store.update(
    p.res,
    { ...cur, spec, metadata: { ...cur.metadata, resourceVersion: undefined } },
    "spec",
  );
  api.afterWrite();
  send(res, 200, toScale(updated));
}

/** The Priority admission plugin on a pod created through the API: its class's value, or the 403 for a missing class. */
function admitBarePodPriority(store: Store, pod: Pod): void {
  const classes = resourceOf("PriorityClass");
  const name = pod.spec?.priorityClassName as string | undefined;
  const cls = (
    name
      ? store.get(classes, undefined, name)
      : store.view(classes).find((c) => (c as { globalDefault?: boolean }).globalDefault)
  ) as { metadata: { name: string }; value: number; preemptionPolicy?: string } | undefined;
  if (name && !cls)
    throw new ApiError(
      "Forbidden",
      `pods "${pod.metadata.name}" is forbidden: no PriorityClass with name ${name} was found`,
      { name: pod.metadata.name, kind: "pods" },
    );
  if (!pod.spec) return;
  if (cls) pod.spec.priorityClassName = cls.metadata.name;
  pod.spec.priority = cls?.value ?? 0;
  pod.spec.preemptionPolicy = cls?.preemptionPolicy ?? "PreemptLowerPriority";
}

/** The DefaultIngressClass admission plugin: an Ingress created without a class gets the default class, if any. */
function admitDefaultIngressClass(store: Store, ing: KubeObject): void {
  const spec = (ing.spec ??= {}) as { ingressClassName?: string };
  if (spec.ingressClassName || ing.metadata.annotations?.["kubernetes.io/ingress.class"]) return;
  const cls = defaultIngressClass(store.view(resourceOf("IngressClass")));
  if (cls) spec.ingressClassName = cls.metadata.name;
}
