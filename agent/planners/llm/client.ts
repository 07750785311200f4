import OpenAI from "openai";
import { Cassette, recordingSource, type CassetteSource } from "./cassette.ts";

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** How the model API is reached: live, or through a cassette (replay, or live while recording). */
export interface LlmClientOptions {
  apiKey: string | undefined;
  /** Any OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp); default api.openai.com. */
  baseUrl?: string | undefined;
  /** Retries of 429, 5xx and connection errors, with the SDK's back-off (honours retry-after). */
  maxRetries: number;
  /** Record or replay through a cassette; a recording is stamped with its source (see {@link recordingSource}). */
  cassette?: { path: string; mode: "replay" | "record"; source?: CassetteSource } | undefined;
  /** The transport under everything else; the global fetch by default. */
  fetch?: Fetch | undefined;
}

/** The client and, with a cassette, the cassette (saved by the caller after recording). */
export interface LlmClient {
  client: OpenAI;
  cassette: Cassette | null;
}

/** Build the OpenAI client once, at start-up; a cassette goes in as the client's `fetch`. */
export function createLlmClient(opts: LlmClientOptions): LlmClient {
  const base = {
    apiKey: opts.apiKey ?? "unset",
    maxRetries: opts.maxRetries,
    ...(opts.baseUrl ? { baseURL: opts.baseUrl } : {}),
  };
  const transport: Fetch = opts.fetch ?? ((input, init) => fetch(input, init));
  if (!opts.cassette) {
    return { client: new OpenAI({ ...base, fetch: normaliseErrorBodies(transport) }), cassette: null };
  }
  const { path, mode } = opts.cassette;
  if (mode === "replay") {
    const cassette = Cassette.load(path);
    return { client: new OpenAI({ ...base, fetch: normaliseErrorBodies(cassette.replayFetch()) }), cassette };
  }
  const cassette = Cassette.empty({
    source: opts.cassette.source ?? recordingSource(opts.baseUrl),
    ...(opts.baseUrl ? { server: new URL(opts.baseUrl).host } : {}),
  });
  // The cassette keeps what the server really sent; the SDK gets the normalised form, as in replay.
  return {
    client: new OpenAI({ ...base, fetch: normaliseErrorBodies(cassette.recordingFetch(transport)) }),
    cassette,
  };
}

/** llama.cpp's refusals of a request's tools: "tools param requires --jinja flag", "Unsupported param: tools". */
const TOOLS_PARAM_REFUSED = /tools param requires|unsupported param: tool/i;

/**
 * Error bodies in the shape the SDK reads (`{"error": {"message": …}}`), so the reason reaches the incident.
 * vLLM answers `{"object": "error", "message": …, "code": 400}` and Ollama's native routes `{"error": "…"}`;
 * the SDK reads only `error.message` and would report "400 status code (no body)". A server error that is a
 * deterministic refusal of tools is marked not to be retried.
 */
export function normaliseErrorBodies(inner: Fetch): Fetch {
  return async (input, init) => {
    const res = await inner(input, init);
    if (res.ok) return res;
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
    }
    const b = body as { error?: unknown; message?: unknown; type?: unknown; code?: unknown } | null;
    let fixed: unknown = body;
    if (typeof b?.error === "string") fixed = { error: { message: b.error } };
    else if (b && b.error === undefined && typeof b.message === "string") {
      fixed = { error: { message: b.message, type: b.type ?? null, code: b.code ?? null } };
    }
    const headers = new Headers(res.headers);
    headers.delete("content-length");
    headers.delete("content-encoding");
    // llama.cpp refuses tools with a 500 that no retry changes: tell the SDK not to retry it.
    const message = (fixed as { error?: { message?: unknown } } | null)?.error?.message;
    if (res.status >= 500 && typeof message === "string" && TOOLS_PARAM_REFUSED.test(message))
      headers.set("x-should-retry", "false");
    return new Response(JSON.stringify(fixed), { status: res.status, statusText: res.statusText, headers });
  };
}
