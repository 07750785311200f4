import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A chat completions request as the server received it (the real wire format). */
export interface ChatRequest {
  model: string;
  messages: Array<{
    role: string;
    content?: string | null;
    tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
    tool_call_id?: string;
  }>;
  tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: unknown } }>;
  tool_choice?: unknown;
  max_tokens?: number;
  [key: string]: unknown;
}

/**
 * Which server the scripted one imitates. Each answers errors in its own shape (as their docs and issue
 * trackers show): OpenAI `{"error": {"message", "type", "param", "code"}}`; Ollama's /v1
 * `{"error": {"message", "type": "api_error", …}}`; llama.cpp's server `{"error": {"code", "message",
 * "type": "server_error"}}`; vLLM a top-level `{"object": "error", "message", "type": "BadRequestError",
 * "code"}`. Their completions differ too: vLLM sends `tool_calls: []` and `reasoning_content`, Ollama a
 * `system_fingerprint` of `fp_ollama`, llama.cpp `timings`.
 */
export type ServerFlavor = "openai" | "ollama" | "llamacpp" | "vllm";

/** One scripted answer: a reply (content and/or tool calls) or an HTTP error. */
export type ScriptStep = {
  /** Checks the request; a throw fails the test (the request is answered 400 and recorded as a failure). */
  expect?: (req: ChatRequest) => void;
  /** Wait this long before answering (timeouts). */
  delayMs?: number;
} & (
  | {
      content?: string;
      toolCalls?: Array<{ name: string; arguments: unknown }>;
      usage?: { prompt_tokens: number; completion_tokens: number };
    }
  | {
      status: number;
      message?: string;
      headers?: Record<string, string>;
      /** Send this body as is instead of an OpenAI error object (a broken server or proxy). */
      rawBody?: string;
      /** Content type of `rawBody` (default application/json). */
      contentType?: string;
    }
);

/** An embeddings request as the server received it (`POST /v1/embeddings`). */
export interface EmbeddingsRequest {
  model: string;
  input: string | string[];
  dimensions?: number;
  [key: string]: unknown;
}

/** An OpenAI-compatible HTTP server on 127.0.0.1 that answers from a script, in order. */
export interface ScriptedOpenAI {
  /** `baseURL` for the OpenAI client (ends in /v1). */
  baseUrl: string;
  requests: ChatRequest[];
  /**
   * Embeddings requests, answered unscripted with letter-count vectors of the asked dimension (16 when the
   * request names none), so one server stands in for both endpoints a deployment uses.
   */
  embeddings: EmbeddingsRequest[];
  /** Append steps to the script. */
  push(...steps: ScriptStep[]): void;
  /** Throws when a step was not consumed, a request was not scripted, or a step's `expect` failed. */
  assertDone(): void;
  /** Imitate another server from the next request on (reset() goes back to OpenAI). */
  setFlavor(flavor: ServerFlavor): void;
  /** Forget the script and what was seen (between tests). */
  reset(): void;
  close(): Promise<void>;
}

let callCounter = 0;

/** Start a scripted OpenAI-compatible server: `POST /v1/chat/completions` from the script, `/v1/embeddings` unscripted. */
export async function startScriptedOpenAI(initial: ScriptStep[] = []): Promise<ScriptedOpenAI> {
  const steps: ScriptStep[] = [...initial];
  const requests: ChatRequest[] = [];
  const embeddings: EmbeddingsRequest[] = [];
  const failures: string[] = [];
  let flavor: ServerFlavor = "openai";

  const answer = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    if (res.destroyed) return;
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
  const refuse = (res: ServerResponse, message: string) => {
    failures.push(message);
    answer(res, 400, { error: { message: `scripted server: ${message}`, type: "invalid_request_error" } });
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        if (req.method === "POST" && req.url === "/v1/embeddings") {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as EmbeddingsRequest;
          embeddings.push(body);
          return answer(res, 200, embeddingsReply(body));
        }
        if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
          return refuse(res, `unexpected ${req.method} ${req.url}`);
        }
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ChatRequest;
        requests.push(body);
        const step = steps.shift();
        if (!step) return refuse(res, `unscripted request #${requests.length}`);
        try {
          step.expect?.(body);
        } catch (err) {
          return refuse(res, `request #${requests.length} failed its expectation: ${String(err)}`);
        }
        if (step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs));
        if ("status" in step) {
          if (step.rawBody !== undefined) {
            res.writeHead(step.status, {
              "content-type": step.contentType ?? "application/json",
              ...step.headers,
            });
            return res.end(step.rawBody);
          }
          return answer(
            res,
            step.status,
            errorBody(flavor, step.status, step.message ?? `scripted HTTP ${step.status}`),
            step.headers,
          );
        }
        const toolCalls = (step.toolCalls ?? []).map((c) => ({
          id: `call_${++callCounter}`,
          type: "function",
          function: {
            name: c.name,
            arguments: typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments),
          },
        }));
        const usage = step.usage ?? {
          prompt_tokens: Math.ceil(JSON.stringify(body.messages).length / 4),
          completion_tokens: Math.ceil(JSON.stringify([step.content, toolCalls]).length / 4),
        };
        const message: Record<string, unknown> = {
          role: "assistant",
          content: step.content ?? null,
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
        };
        if (flavor === "openai") message.refusal = null;
        if (flavor === "vllm") Object.assign(message, { tool_calls: toolCalls, reasoning_content: null });
        answer(res, 200, {
          id: `chatcmpl-${requests.length}`,
          object: "chat.completion",
          created: 1_700_000_000,
          model: body.model,
          ...(flavor === "ollama" ? { system_fingerprint: "fp_ollama" } : {}),
          choices: [
            {
              index: 0,
              message,
              finish_reason: toolCalls.length ? "tool_calls" : "stop",
              ...(flavor === "openai" || flavor === "vllm" ? { logprobs: null } : {}),
            },
          ],
          usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
          ...(flavor === "llamacpp"
            ? { timings: { prompt_n: usage.prompt_tokens, predicted_n: usage.completion_tokens } }
            : {}),
        });
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    embeddings,
    push: (...more) => steps.push(...more),
    setFlavor(f) {
      flavor = f;
    },
    assertDone() {
      const problems = [...failures];
      if (steps.length > 0) problems.push(`${steps.length} scripted step(s) not consumed`);
      if (problems.length > 0) throw new Error(`scripted OpenAI server: ${problems.join("; ")}`);
    },
    reset() {
      flavor = "openai";
      steps.length = 0;
      requests.length = 0;
      embeddings.length = 0;
      failures.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The `/v1/embeddings` answer: one letter-count vector per input, in the request's order. */
function embeddingsReply(body: EmbeddingsRequest) {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const dim = body.dimensions ?? 16;
  return {
    object: "list",
    model: body.model,
    data: inputs.map((text, index) => {
      const v: number[] = new Array<number>(dim).fill(0);
      for (const ch of text.toLowerCase()) {
        const i = ch.charCodeAt(0) - 97;
        if (i >= 0 && i < 26) v[i % dim]! += 1;
      }
      // A zero vector has no direction; give blank inputs one.
      if (!v.some((x) => x > 0)) v[0] = 1;
      return { object: "embedding", index, embedding: v };
    }),
    usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
  };
}

/** An error body as each server writes it. */
function errorBody(flavor: ServerFlavor, status: number, message: string): unknown {
  switch (flavor) {
    case "openai":
      return { error: { message, type: "invalid_request_error", param: null, code: null } };
    case "ollama":
      return { error: { message, type: "api_error", param: null, code: null } };
    case "llamacpp":
      return {
        error: { code: status, message, type: status >= 500 ? "server_error" : "invalid_request_error" },
      };
    case "vllm":
      return { object: "error", message, type: "BadRequestError", param: null, code: status };
  }
}

/**
 * Replies the real servers give when they cannot call tools, taken from their issue trackers:
 * a model whose Ollama template has no tools; llama-server started without `--jinja`; vLLM started without
 * `--enable-auto-tool-choice`; an older vLLM that knows no `tool_choice: "required"`.
 */
export const TOOLS_REFUSED = {
  ollama: (model = "gemma3:4b"): ScriptStep => ({
    status: 400,
    message: `registry.ollama.ai/library/${model} does not support tools`,
  }),
  llamacppNoJinja: (): ScriptStep => ({ status: 500, message: "tools param requires --jinja flag" }),
  vllmNoAutoToolChoice: (): ScriptStep => ({
    status: 400,
    message: '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
  }),
  vllmRequiredUnsupported: (): ScriptStep => ({
    status: 400,
    message:
      "[{'type': 'value_error', 'loc': ('body',), 'msg': 'Value error, `tool_choice` must either be a named tool, \"auto\", or \"none\".'}]",
  }),
};

/** A call written as text, the way Hermes and Qwen chat templates do when the server does not parse it. */
export function toolCallText(name: string, args: unknown): string {
  return `<tool_call>\n${JSON.stringify({ name, arguments: args })}\n</tool_call>`;
}
