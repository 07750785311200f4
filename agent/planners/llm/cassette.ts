import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { redactText, redactValue } from "../../../core/redact.ts";
import { sortKeys } from "../../../core/sortKeys.ts";

/** One recorded exchange with the model API. */
export interface CassetteEntry {
  /** Hash of the normalised request. */
  key: string;
  request: { method: string; path: string; body: unknown };
  response: { status: number; headers: Record<string, string>; body: string };
}

/**
 * Where a cassette's responses came from: `real_model` (a hosted model API, api.openai.com or another
 * provider), `local_server` (a model on an OpenAI-compatible server such as Ollama, vLLM or llama.cpp at
 * OPENAI_BASE_URL), or `synthetic` (scripted: the test suite's server, no model at all).
 */
export type CassetteSource = "real_model" | "local_server" | "synthetic";

/** A cassette file (`evals/cassettes/*.json`). */
export interface CassetteFile {
  /** Where the responses came from; files older than this field have only `synthetic`. */
  source?: CassetteSource;
  /** True when the responses were scripted, not captured from a model (`source` is `synthetic`). */
  synthetic: boolean;
  note?: string;
  /** Model the responses came from (the `model` of the recorded requests). */
  model?: string;
  /** Host of the server recorded from (no path, no credentials). */
  server?: string;
  recordedAt?: string;
  entries: CassetteEntry[];
}

/** The source of a cassette file, for files written before `source` existed too. */
export function sourceOf(file: Pick<CassetteFile, "source" | "synthetic">): CassetteSource {
  return file.source ?? (file.synthetic ? "synthetic" : "real_model");
}

/** Where a recording made against `baseUrl` comes from: the hosted API, or a server of the user's own. */
export function recordingSource(baseUrl: string | undefined): Exclude<CassetteSource, "synthetic"> {
  if (!baseUrl) return "real_model";
  const host = new URL(baseUrl).hostname;
  return host === "api.openai.com" || host.endsWith(".openai.azure.com") ? "real_model" : "local_server";
}

/** A request replay found no recording for. */
export interface CassetteMiss {
  key: string;
  path: string;
  /** The last message of the request, to tell people which step went off script. */
  lastMessage: string;
}

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)/g;
const HEX_ID = /\b[0-9a-f]{64}\b/g;
const INCIDENT_ID = /\binc_\d{8}_[0-9a-f]{16}\b/g;
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g;
/** The random suffix Kubernetes gives generated names (pods of a ReplicaSet): 5 characters without vowels. */
const GENERATED_SUFFIX = /(?<=[a-z0-9]-)[bcdfghjklmnpqrstvwxz2456789]{5}(?![a-z0-9])/g;

/**
 * The request as the cassette keys it: path without the base URL's prefix, body with sorted keys, times,
 * container ids, incident ids, uids and generated pod-name suffixes replaced (they change between runs of the
 * same scenario), and secrets redacted.
 */
export function normaliseRequest(
  method: string,
  url: string,
  bodyText: string | undefined,
): CassetteEntry["request"] & { key: string } {
  const path = new URL(url).pathname.replace(/^.*?\/v1\//, "/");
  let body: unknown = null;
  if (bodyText) {
    const stable = bodyText
      .replace(ISO_TIME, "<time>")
      .replace(HEX_ID, "<id>")
      .replace(INCIDENT_ID, "<incident>")
      .replace(UUID, "<uid>")
      .replace(GENERATED_SUFFIX, "<sfx>");
    try {
      body = sortKeys(redactValue(JSON.parse(stable)));
    } catch {
      body = redactText(stable);
    }
  }
  const key = createHash("sha256")
    .update(JSON.stringify([method.toUpperCase(), path, body]))
    .digest("hex")
    .slice(0, 24);
  return { key, method: method.toUpperCase(), path, body };
}

/**
 * Recorded model responses, served back by a custom `fetch` given to the OpenAI client, so the real SDK
 * and wire format run in replays too. Replay is deterministic: the n-th request with a key gets the n-th
 * response recorded for it (the last one again after that). A request with no recording is answered with
 * HTTP 400 naming it as off-script, and listed in `misses`.
 */
export class Cassette {
  readonly misses: CassetteMiss[] = [];
  private readonly used = new Map<string, number>();

  constructor(readonly file: CassetteFile) {}

  static load(path: string): Cassette {
    return new Cassette(JSON.parse(readFileSync(path, "utf8")) as CassetteFile);
  }

  static empty(opts: { source: CassetteSource; note?: string; model?: string; server?: string }): Cassette {
    return new Cassette({
      source: opts.source,
      synthetic: opts.source === "synthetic",
      ...(opts.model ? { model: opts.model } : {}),
      ...(opts.server ? { server: opts.server } : {}),
      ...(opts.note ? { note: opts.note } : {}),
      recordedAt: new Date().toISOString(),
      entries: [],
    });
  }

  save(path: string): void {
    writeFileSync(path, `${JSON.stringify(this.file, null, 2)}\n`);
  }

  /** A fetch that answers from the recordings only; it never touches the network. */
  replayFetch(): Fetch {
    return async (input, init) => {
      const { url, method, body } = await describe(input, init);
      const req = normaliseRequest(method, url, body);
      const recorded = this.file.entries.filter((e) => e.key === req.key);
      const n = this.used.get(req.key) ?? 0;
      const entry = recorded[Math.min(n, recorded.length - 1)];
      if (!entry) {
        const miss = { key: req.key, path: req.path, lastMessage: lastMessageOf(req.body) };
        this.misses.push(miss);
        return json(400, {
          error: {
            type: "cassette_miss",
            message: `cassette: off-script request ${req.key} to ${req.path} (no recorded response; last message: ${miss.lastMessage})`,
          },
        });
      }
      this.used.set(req.key, n + 1);
      return new Response(entry.response.body, {
        status: entry.response.status,
        headers: entry.response.headers,
      });
    };
  }

  /** A fetch that forwards to `upstream` and records each exchange (errors and 429s included). */
  recordingFetch(upstream: Fetch = fetch): Fetch {
    return async (input, init) => {
      const { url, method, body } = await describe(input, init);
      const res = await upstream(input, init);
      const text = await res.text();
      const { key, ...request } = normaliseRequest(method, url, body);
      // Stamped from what was really asked for, not from a setting that may differ.
      const model = (request.body as { model?: unknown } | null)?.model;
      if (!this.file.model && typeof model === "string") this.file.model = model;
      const headers: Record<string, string> = {};
      for (const name of ["content-type", "retry-after", "retry-after-ms"]) {
        const v = res.headers.get(name);
        if (v !== null) headers[name] = v;
      }
      this.file.entries.push({
        key,
        request,
        response: { status: res.status, headers, body: redactBody(text) },
      });
      return new Response(text, { status: res.status, headers: res.headers });
    };
  }
}

async function describe(
  input: string | URL | Request,
  init: RequestInit | undefined,
): Promise<{ url: string; method: string; body: string | undefined }> {
  if (input instanceof Request) {
    return { url: input.url, method: input.method, body: await input.clone().text() };
  }
  const body = typeof init?.body === "string" ? init.body : undefined;
  return { url: String(input), method: init?.method ?? "GET", body };
}

/** Secrets out of a recorded body; JSON stays JSON (only string values are touched). */
function redactBody(text: string): string {
  try {
    return JSON.stringify(redactValue(JSON.parse(text)));
  } catch {
    return redactText(text);
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

function lastMessageOf(body: unknown): string {
  const messages = (body as { messages?: Array<{ role?: string; content?: unknown }> } | null)?.messages;
  const last = messages?.at(-1);
  if (!last) return "(none)";
  const content = typeof last.content === "string" ? last.content : JSON.stringify(last.content ?? null);
  return `${last.role ?? "?"}: ${content.slice(0, 120)}`;
}
