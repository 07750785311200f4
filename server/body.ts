import type { IncomingMessage } from "node:http";
import type { Transform } from "node:stream";
import * as zlib from "node:zlib";
import { parse as parseContentType } from "content-type";
import getRawBody from "raw-body";
import { oneLine, type RequestFailure } from "./errorHandler.ts";

/**
 * The webhook's JSON body: `content-type` reads the media type and charset, zlib inflates, `raw-body` reads
 * up to the cap and decodes (iconv-lite, byte order mark dropped). What stays here are the project's
 * decisions: only JSON in a UTF charset, the cap counted after decompression and answered as soon as it is
 * passed (the rest of the body is never read), a corrupt compressed body as the client's 400, strict JSON
 * (an object or an array), and every refusal as a one-line reason.
 */

/** What came of reading the body. */
export type JsonBody =
  | { kind: "json"; value: unknown }
  /** Answer with this failure. `closeConnection`: the rest of the body was not read, so drop the connection. */
  | { kind: "rejected"; failure: RequestFailure; closeConnection?: true }
  /** The client went away mid-body: there is nobody to answer. */
  | { kind: "aborted" };

export interface JsonBodyOptions {
  /** Most bytes accepted, counted after decompression. */
  limit: number;
  /** Error code for a body that is not JSON. */
  malformedCode: string;
}

/** zlib.createZstdDecompress exists from Node 22.15 on; @types/node 20 does not declare it. */
const createZstdDecompress = (zlib as unknown as { createZstdDecompress?: () => Transform })
  .createZstdDecompress;

const DECOMPRESSORS: Record<string, (() => Transform) | undefined> = {
  gzip: zlib.createGunzip,
  deflate: zlib.createInflate,
  br: zlib.createBrotliDecompress,
  zstd: createZstdDecompress,
};

/** Read, decode and parse the body of `req`. Never rejects. */
export async function readJsonBody(req: IncomingMessage, options: JsonBodyOptions): Promise<JsonBody> {
  const header = req.headers["content-type"];
  const type = header ? parseContentType(header) : undefined;
  // A request with neither Content-Length nor Transfer-Encoding has no body to be JSON.
  const hasBody =
    req.headers["transfer-encoding"] !== undefined || req.headers["content-length"] !== undefined;
  if (!hasBody || type?.type !== "application/json") {
    return rejection(
      415,
      "unsupported_media_type",
      `expected Content-Type application/json, got ${header ? JSON.stringify(header) : "none"}`,
    );
  }
  const charset = (type.parameters.charset ?? "utf-8").toLowerCase();
  if (!charset.startsWith("utf-")) {
    return rejection(415, "unsupported_media_type", `unsupported charset "${charset.toUpperCase()}"`);
  }
  const encoding = (req.headers["content-encoding"] || "identity").toLowerCase();
  const inflate = encoding === "identity" ? undefined : DECOMPRESSORS[encoding];
  if (encoding !== "identity" && !inflate) {
    return rejection(415, "unsupported_media_type", `unsupported content encoding "${encoding}"`);
  }

  const inflater = inflate?.();
  // The client going away mid-body reaches raw-body through the inflater as an error.
  if (inflater) req.once("error", (err) => inflater.destroy(err)).pipe(inflater);
  let text: string;
  try {
    text = await getRawBody(inflater ?? req, {
      limit: options.limit,
      // Without compression a Content-Length over the cap is refused before a byte is read.
      length: inflater ? null : req.headers["content-length"],
      encoding: charset,
    });
  } catch (err) {
    const failure = readFailure(err, encoding);
    if (inflater) {
      req.unpipe(inflater);
      inflater.destroy();
      // A body refused for its content is read to its end, so the connection can carry the next request;
      // one over the cap is not (the reply closes the connection).
      if (failure.kind === "rejected" && !failure.closeConnection) req.resume();
    }
    return failure;
  }
  return parseStrict(text, options.malformedCode);
}

function rejection(status: number, code: string, message: string): JsonBody {
  return { kind: "rejected", failure: { status, code, message } };
}

/** What a failed read means for the reply. */
function readFailure(err: unknown, encoding: string): JsonBody {
  const e = err as Error & { type?: string; code?: string; limit?: number };
  switch (e.type) {
    case "entity.too.large":
      return {
        kind: "rejected",
        failure: {
          status: 413,
          code: "payload_too_large",
          message: `request body exceeds the limit of ${e.limit} bytes`,
        },
        closeConnection: true,
      };
    case "charset.unsupported":
      return rejection(415, "unsupported_media_type", oneLine(e.message));
    case "request.aborted":
      return { kind: "aborted" };
  }
  if (e.code === "ECONNRESET" || e.code === "ECONNABORTED") return { kind: "aborted" };
  // A corrupt or truncated compressed body is the client's error; only zlib running out of memory is ours.
  if (e.code?.startsWith("Z_") || e.code?.startsWith("ERR_BROTLI") || e.code?.startsWith("ERR__")) {
    if (e.code !== "Z_MEM_ERROR") {
      return rejection(
        400,
        "request_invalid",
        `the body is not valid ${encoding} data: ${oneLine(e.message)}`,
      );
    }
  }
  return { kind: "rejected", failure: { status: 500, code: "internal", message: "internal error", err } };
}

/** Strict JSON: an empty body is `{}`; the top level must be an object or an array. */
function parseStrict(text: string, malformedCode: string): JsonBody {
  if (text.length === 0) return { kind: "json", value: {} };
  const trimmed = text.trimStart();
  if (trimmed[0] !== "{" && trimmed[0] !== "[") {
    const shown = JSON.stringify(trimmed.slice(0, 40));
    return rejection(400, malformedCode, `malformed JSON: expected an object or an array, got ${shown}`);
  }
  try {
    return { kind: "json", value: JSON.parse(text) as unknown };
  } catch (err) {
    return rejection(
      400,
      malformedCode,
      `malformed JSON: ${oneLine(err instanceof Error ? err.message : String(err))}`,
    );
  }
}
