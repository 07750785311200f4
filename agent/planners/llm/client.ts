import OpenAI from "openai";
import { Cassette } from "./cassette.ts";

/** How the model API is reached: live, or through a cassette (replay, or live while recording). */
export interface LlmClientOptions {
  apiKey: string | undefined;
  /** Any OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp); default api.openai.com. */
  baseUrl?: string | undefined;
  /** Retries of 429, 5xx and connection errors, with the SDK's back-off (honours retry-after). */
  maxRetries: number;
  cassette?: { path: string; mode: "replay" | "record"; synthetic?: boolean } | undefined;
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
  if (!opts.cassette) return { client: new OpenAI(base), cassette: null };
  const { path, mode } = opts.cassette;
  if (mode === "replay") {
    const cassette = Cassette.load(path);
    return { client: new OpenAI({ ...base, fetch: cassette.replayFetch() }), cassette };
  }
  const cassette = Cassette.empty({ synthetic: opts.cassette.synthetic ?? false });
  return { client: new OpenAI({ ...base, fetch: cassette.recordingFetch() }), cassette };
}
