import OpenAI from "openai";
import type { ChatCompletion, ChatCompletionMessage } from "openai/resources/chat/completions";
import { z } from "zod";
import { describeError } from "../../../core/errors.ts";
import { redactText } from "../../../core/redact.ts";

/**
 * The part of a chat completion the planner relies on. The SDK does not check what a server answered with
 * HTTP 200: a proxy's HTML error page comes back as a string, another service's JSON as whatever it was.
 */
const completionShape = z.object({
  choices: z.array(
    z.object({
      message: z.object({
        content: z.string().nullable().optional(),
        tool_calls: z
          .array(
            z.object({
              id: z.string(),
              type: z.string(),
              function: z.object({ name: z.string(), arguments: z.string() }).optional(),
            }),
          )
          .nullable()
          .optional(),
      }),
    }),
  ),
  usage: z
    .object({ prompt_tokens: z.number().optional(), completion_tokens: z.number().optional() })
    .nullable()
    .optional(),
});

/** A 200 reply checked to be a chat completion, or a one-line description of what came instead. */
export function readCompletion(
  data: unknown,
  contentType: string | null,
):
  | { ok: true; completion: ChatCompletion; message: ChatCompletionMessage | undefined }
  | { ok: false; problem: string } {
  const parsed = completionShape.safeParse(data);
  if (!parsed.success) {
    const text = typeof data === "string" ? data : JSON.stringify(data ?? null);
    const snippet = text.replace(/\s+/g, " ").trim().slice(0, 120);
    return {
      ok: false,
      problem: `the model API answered HTTP 200 with something that is not a chat completion (${contentType ?? "no content-type"}: ${redactText(snippet)})`,
    };
  }
  const completion = data as ChatCompletion;
  return { ok: true, completion, message: completion.choices[0]?.message };
}

/** A status and message that say the server will not take `tools` or `tool_choice` at all. */
const TOOLS_REFUSED = /\btools?\b|tool_choice|function.?call/i;

/**
 * Why the server refused the request's tools or tool_choice, or undefined when the error is something else.
 * Only an explicit message counts (Ollama "… does not support tools", llama.cpp "tools param requires
 * --jinja flag" / "Unsupported param: tool_choice", vLLM "\"auto\" tool choice requires
 * --enable-auto-tool-choice …" or "`tool_choice` must either be a named tool, …"): a bare 400 is as often a
 * request too long for the context, and retrying without tools would hide that.
 */
export function toolsRefusal(err: unknown): string | undefined {
  if (!(err instanceof OpenAI.APIError) || err.status === undefined) return undefined;
  if (![400, 404, 422, 500, 501].includes(err.status)) return undefined;
  const body = err.error as { type?: unknown } | undefined;
  // An off-script cassette request quotes the conversation, which talks about tools.
  if (body?.type === "cassette_miss") return undefined;
  const message = describeError(err);
  return TOOLS_REFUSED.test(message) ? `HTTP ${message}` : undefined;
}
