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
}

function json(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * `/metrics` (Prometheus text format) and the fault API: `GET|POST /sim/faults`, `DELETE /sim/faults/ID`,
 * `GET|POST /sim/images` (an ImageRegistry document), `POST /sim/advance {"ms":N}`. Returns false for other paths.
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
    const text = api.metrics();
    res.writeHead(200, {
      "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
      "Content-Length": Buffer.byteLength(text),
    });
    res.end(text);
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
  if (p === "/sim/advance" && req.method === "POST") {
    const ms = Number((parse() as { ms?: unknown }).ms);
    if (!Number.isFinite(ms) || ms < 0) throw new ApiError("BadRequest", "ms must be a non-negative number");
    api.advance(ms);
    return (json(res, 200, { advancedMs: ms }), true);
  }
  throw new ApiError("NotFound", "the server could not find the requested resource");
}
