import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError } from "./status.ts";

/** What the simulator-only endpoints call. */
export interface SimApiBackend {
  metrics(): string;
  injectFault(body: unknown): unknown;
  listFaults(): unknown;
  revertFault(id: string): boolean;
  /** The image registry's listed images. */
  listImages(): unknown;
  /** Loads an ImageRegistry document (JSON); returns the listed images. */
  loadImages(body: unknown): unknown;
  /** Advances the virtual clock; throws for a real clock. */
  advance(ms: number): void;
  /** Changes a node's world state (memory, pids, network, kubelet); returns it. */
  changeNode(name: string, body: unknown): unknown;
  /** The node's journal text, optionally one unit's lines. */
  nodeLog(name: string, query: string | null): string;
  /** Records an arbitrary Event. */
  recordEvent(body: unknown): unknown;
  /** Kills a running container of a pod in place (its kubelet restarts it). */
  killContainer(namespace: string, name: string, body: unknown): unknown;
}

function json(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** A 200 reply of text (a node's journal, the metrics exposition). */
function plain(res: ServerResponse, text: string, contentType = "text/plain; charset=utf-8"): void {
  res.writeHead(200, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * `/metrics` (Prometheus text format) and the fault API: `GET|POST /sim/faults`, `DELETE /sim/faults/ID`,
 * `GET|POST /sim/images` (an ImageRegistry document), `POST /sim/advance {"ms":N}`, `POST /sim/nodes/NAME` (a node
 * change), `POST /sim/pods/NS/NAME/kill` (a container killed in place), `GET /sim/nodes/NAME/logs` and `/api/v1/nodes/NAME/proxy/logs/` (its journal), `POST /sim/events`.
 * Returns false for other paths.
 */
export function handleSimApi(
  api: SimApiBackend,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  body: Buffer,
): boolean {
  const p = url.pathname;
  if (p === "/metrics" && req.method === "GET") {
    plain(res, api.metrics(), "text/plain; version=0.0.4; charset=utf-8");
    return true;
  }
  // The kubelet's node log query (`kubectl get --raw "/api/v1/nodes/NAME/proxy/logs/?query=kubelet"`).
  const nodeLogs = /^\/api\/v1\/nodes\/([^/]+)\/proxy\/logs\/?$/.exec(p);
  if (nodeLogs && req.method === "GET") {
    plain(res, api.nodeLog(decodeURIComponent(nodeLogs[1]!), url.searchParams.get("query")));
    return true;
  }
  if (!p.startsWith("/sim/")) return false;
  const parse = () => {
    try {
      return body.length ? (JSON.parse(body.toString("utf8")) as unknown) : {};
    } catch {
      throw new ApiError("BadRequest", "the request body is not valid JSON");
    }
  };
  if (p === "/sim/faults" && req.method === "GET") return (json(res, 200, { items: api.listFaults() }), true);
  if (p === "/sim/faults" && req.method === "POST") return (json(res, 201, api.injectFault(parse())), true);
  const m = /^\/sim\/faults\/([^/]+)$/.exec(p);
  if (m && req.method === "DELETE") {
    if (!api.revertFault(m[1]!)) throw new ApiError("NotFound", `fault "${m[1]}" not found`);
    return (json(res, 200, { id: m[1], reverted: true }), true);
  }
  if (p === "/sim/images" && req.method === "GET")
    return (json(res, 200, { images: api.listImages() }), true);
  if (p === "/sim/images" && req.method === "POST")
    return (json(res, 200, { images: api.loadImages(parse()) }), true);
  const node = /^\/sim\/nodes\/([^/]+)(\/logs)?$/.exec(p);
  if (node && !node[2] && req.method === "POST")
    return (json(res, 200, api.changeNode(decodeURIComponent(node[1]!), parse())), true);
  if (node && node[2] && req.method === "GET") {
    plain(res, api.nodeLog(decodeURIComponent(node[1]!), url.searchParams.get("query")));
    return true;
  }
  if (p === "/sim/events" && req.method === "POST") return (json(res, 201, api.recordEvent(parse())), true);
  const kill = /^\/sim\/pods\/([^/]+)\/([^/]+)\/kill$/.exec(p);
  if (kill && req.method === "POST")
    return (
      json(res, 200, api.killContainer(decodeURIComponent(kill[1]!), decodeURIComponent(kill[2]!), parse())),
      true
    );
  if (p === "/sim/advance" && req.method === "POST") {
    const ms = Number((parse() as { ms?: unknown }).ms);
    if (!Number.isFinite(ms) || ms < 0) throw new ApiError("BadRequest", "ms must be a non-negative number");
    api.advance(ms);
    return (json(res, 200, { advancedMs: ms }), true);
  }
  throw new ApiError("NotFound", "the server could not find the requested resource");
}
