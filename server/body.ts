import type { IncomingMessage } from "node:http";
import type { Readable, Transform } from "node:stream";
import * as zlib from "node:zlib";
import { oneLine, type RequestFailure } from "./errorHandler.ts";

/**
 * Reading a JSON request body without express: the media type, charset and Content-Encoding checks,
 * decoding and strict parsing behave as express.json() (body-parser 2, raw-body 3, type-is 2) did for the
 * webhook, so clients see the same replies. One difference on purpose: a body over the cap is answered at
 * once and the rest of it is never read (body-parser read it all before answering).
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

/** Read, decode and parse the body of `req`. Never rejects. */
export function readJsonBody(req: IncomingMessage, options: JsonBodyOptions): Promise<JsonBody> {
  const headers = req.headers;
  const contentType = headers["content-type"];

  // type-is answers "no body" (then "not JSON") for a request with neither Content-Length nor Transfer-Encoding.
  const hasBody =
    headers["transfer-encoding"] !== undefined || !Number.isNaN(Number(headers["content-length"]));
  // The fast path is what Alertmanager sends: exactly `application/json`, no parameters.
  const plain = contentType === "application/json";
  if (!hasBody || (!plain && !isJsonMediaType(contentType))) {
    return reject(
      415,
      "unsupported_media_type",
      `expected Content-Type application/json, got ${contentType ? JSON.stringify(contentType) : "none"}`,
    );
  }

  const charset = plain || !contentType ? "utf-8" : (charsetOf(contentType)?.toLowerCase() ?? "utf-8");
  if (charset.slice(0, 4) !== "utf-") {
    return reject(415, "unsupported_media_type", `unsupported charset "${charset.toUpperCase()}"`);
  }

  const encoding = (headers["content-encoding"] || "identity").toLowerCase();
  let inflater: Transform | undefined;
  if (encoding !== "identity") {
    inflater = decompressor(encoding);
    if (!inflater) return reject(415, "unsupported_media_type", `unsupported content encoding "${encoding}"`);
  } else if (Number(headers["content-length"]) > options.limit) {
    // Too big by its own account: answered before a byte of it is read.
    return Promise.resolve(tooLarge(options.limit));
  }

  const decode = decoderFor(charset);
  if (!decode) {
    inflater?.destroy();
    return reject(415, "unsupported_media_type", `unsupported charset "${charset.toUpperCase()}"`);
  }
  if (inflater) req.pipe(inflater);
  return read(req, inflater, { ...options, encoding }, decode);
}

function reject(status: number, code: string, message: string): Promise<JsonBody> {
  return Promise.resolve(rejection(status, code, message));
}

function rejection(status: number, code: string, message: string): JsonBody {
  return { kind: "rejected", failure: { status, code, message } };
}

function tooLarge(limit: number): JsonBody {
  return {
    kind: "rejected",
    failure: {
      status: 413,
      code: "payload_too_large",
      message: `request body exceeds the limit of ${limit} bytes`,
    },
    closeConnection: true,
  };
}

/**
 * Collect the body (from the decompressor when there is one), stop at the cap, then decode and parse.
 * A body the decompressor cannot read (corrupt or truncated) is the client's error: a 400 naming the
 * encoding. Only zlib running out of memory is ours (500).
 */
function read(
  req: IncomingMessage,
  inflater: Transform | undefined,
  options: JsonBodyOptions & { encoding: string },
  decode: (bytes: Buffer) => string,
): Promise<JsonBody> {
  const source: Readable = inflater ?? req;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;

    const settle = (result: JsonBody) => {
      settled = true;
      source.off("data", onData);
      source.off("end", onEnd);
      req.off("error", onAborted);
      // The decompressor keeps its error listener: a destroyed zlib stream may still report an error, and
      // an error nobody listens to would throw.
      resolve(result);
    };
    // Detach the decompressor; `drain` lets the request run to its end so the connection can be reused.
    const detach = (drain: boolean) => {
      if (!inflater) return;
      req.unpipe(inflater);
      inflater.destroy();
      if (drain) req.resume();
    };

    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received <= options.limit) {
        chunks.push(chunk);
        return;
      }
      // Over the cap: stop reading here; the reply closes the connection.
      detach(false);
      req.pause();
      settle(tooLarge(options.limit));
    };
    const onEnd = () => {
      detach(true);
      const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
      settle(parseStrict(decode(bytes), options.malformedCode));
    };
    const onInflateError = (err: Error) => {
      if (settled) return;
      detach(true);
      if ((err as NodeJS.ErrnoException).code === "Z_MEM_ERROR") {
        settle({
          kind: "rejected",
          failure: { status: 500, code: "internal", message: "internal error", err },
        });
        return;
      }
      settle(
        rejection(
          400,
          "request_invalid",
          `the body is not valid ${options.encoding} data: ${oneLine(err.message)}`,
        ),
      );
    };
    const onAborted = () => {
      detach(false);
      settle({ kind: "aborted" });
    };

    source.on("data", onData);
    source.on("end", onEnd);
    if (inflater) source.on("error", onInflateError);
    req.on("error", onAborted);
  });
}

/** zlib.createZstdDecompress exists from Node 22.15 on; @types/node 20 does not declare it. */
const createZstdDecompress = (zlib as unknown as { createZstdDecompress?: () => Transform })
  .createZstdDecompress;

/** body-parser's decompressors; zstd only where this Node has it. */
function decompressor(encoding: string): Transform | undefined {
  switch (encoding) {
    case "deflate":
      return zlib.createInflate();
    case "gzip":
      return zlib.createGunzip();
    case "br":
      return zlib.createBrotliDecompress();
    case "zstd":
      return createZstdDecompress?.();
    default:
      return undefined;
  }
}

const SP = 0x20;
const HTAB = 0x09;
const SEMI = 0x3b;
const EQ = 0x3d;
const DQUOTE = 0x22;
const BSLASH = 0x5c;

const isOWS = (code: number) => code === SP || code === HTAB;

/** type-is: the media type (before any `;`, optional whitespace trimmed, any case) is application/json. */
function isJsonMediaType(header: string | undefined): boolean {
  if (!header) return false;
  let end = header.indexOf(";");
  if (end < 0) end = header.length;
  let start = 0;
  while (start < end && isOWS(header.charCodeAt(start))) start++;
  while (end > start && isOWS(header.charCodeAt(end - 1))) end--;
  return header.slice(start, end).toLowerCase() === "application/json";
}

/** The first `charset` parameter of a Content-Type, parsed as the content-type 2 package does (it never throws). */
function charsetOf(header: string): string | undefined {
  const len = header.length;
  let index = header.indexOf(";");
  if (index < 0) return undefined;
  parameter: while (index < len) {
    index = skipOWS(header, index + 1);
    const keyStart = index;
    while (index < len) {
      const code = header.charCodeAt(index);
      if (code === SEMI) continue parameter;
      if (code === EQ) {
        const key = header.slice(keyStart, trailingOWS(header, keyStart, index)).toLowerCase();
        index = skipOWS(header, index + 1);
        if (index < len && header.charCodeAt(index) === DQUOTE) {
          index++;
          let value = "";
          while (index < len) {
            const c = header.charCodeAt(index++);
            if (c === DQUOTE) {
              index = skipValue(header, index);
              if (key === "charset") return value;
              break;
            }
            if (c === BSLASH && index < len) {
              value += header[index++];
              continue;
            }
            value += String.fromCharCode(c);
          }
          continue parameter;
        }
        const valueStart = index;
        index = skipValue(header, index);
        if (key === "charset") return header.slice(valueStart, trailingOWS(header, valueStart, index));
        continue parameter;
      }
      index++;
    }
  }
  return undefined;
}

function skipValue(str: string, index: number): number {
  while (index < str.length && str.charCodeAt(index) !== SEMI) index++;
  return index;
}

function skipOWS(str: string, index: number): number {
  while (index < str.length && isOWS(str.charCodeAt(index))) index++;
  return index;
}

function trailingOWS(str: string, start: number, end: number): number {
  while (end > start && isOWS(str.charCodeAt(end - 1))) end--;
  return end;
}

/**
 * Decoders for the `utf-*` charsets body-parser accepted, named as iconv-lite normalises them; each drops a
 * leading byte order mark, as iconv-lite did. UTF-32 and UTF-7 (which iconv-lite also knew) are not
 * decoded here: they are answered like any charset nobody can decode, 415.
 */
function decoderFor(charset: string): ((bytes: Buffer) => string) | undefined {
  switch (charset.replace(/:\d{4}$|[^0-9a-z]/g, "")) {
    case "utf8":
      return utf8;
    case "utf16le":
      return utf16le;
    case "utf16be":
      return utf16be;
    case "utf16":
      return (bytes) => (utf16IsBigEndian(bytes) ? utf16be(bytes) : utf16le(bytes));
    default:
      return undefined;
  }
}

const withoutBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
const utf8 = (bytes: Buffer) => withoutBom(bytes.toString("utf8"));
const utf16le = (bytes: Buffer) => withoutBom(bytes.toString("utf16le"));

function utf16be(bytes: Buffer): string {
  const even = bytes.length & ~1;
  const swapped = Buffer.from(bytes.subarray(0, even)).swap16();
  return utf16le(swapped);
}

/** iconv-lite's guess for `utf-16`: a byte order mark, else which byte of the first 100 units is the zero one. */
function utf16IsBigEndian(bytes: Buffer): boolean {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return false;
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return true;
  let asciiLE = 0;
  let asciiBE = 0;
  for (let i = 0; i + 1 < bytes.length && i < 200; i += 2) {
    if (bytes[i] === 0 && bytes[i + 1] !== 0) asciiBE++;
    if (bytes[i] !== 0 && bytes[i + 1] === 0) asciiLE++;
  }
  return asciiBE > asciiLE;
}

/** body-parser's strict JSON: an empty body is `{}`, anything but an object or array at the top is an error. */
function parseStrict(text: string, malformedCode: string): JsonBody {
  if (text.length === 0) return { kind: "json", value: {} };
  const first = text[0];
  if (first !== "{" && first !== "[") {
    const firstSolid = firstNonWhitespace(text);
    if (firstSolid !== "{" && firstSolid !== "[")
      return malformed(strictViolation(text, firstSolid), malformedCode);
  }
  try {
    return { kind: "json", value: JSON.parse(text) as unknown };
  } catch (err) {
    return malformed(err instanceof Error ? err.message : String(err), malformedCode);
  }
}

/** The first character that is not JSON whitespace (space, tab, line feed, carriage return), if any. */
function firstNonWhitespace(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return text[i];
  }
  return undefined;
}

function malformed(reason: string, code: string): JsonBody {
  return rejection(400, code, `malformed JSON: ${oneLine(reason)}`);
}

/**
 * body-parser's message for a top-level primitive: JSON.parse's complaint about the text with everything
 * from the first solid character on masked, then unmasked again (e.g. `Unexpected token '1', "123" is not
 * valid JSON`).
 */
function strictViolation(text: string, firstSolid: string | undefined): string {
  const index = firstSolid === undefined ? -1 : text.indexOf(firstSolid);
  const masked = index === -1 ? "" : text.slice(0, index) + "#".repeat(text.length - index);
  try {
    JSON.parse(masked);
    return "strict violation";
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return message.replace(/#+/g, (run) => text.substring(index, index + run.length));
  }
}
