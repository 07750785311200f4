import { ACTION_IDS, isActionId, type ActionId } from "../../../core/catalog.ts";
import { describeIssues, modelDecisionSchema, type ModelDecision } from "./decisionSchema.ts";

/** The model's answer read as a decision, or what was wrong with it (sent back in the repair round). */
export type Parsed = { ok: true; value: ModelDecision } | { ok: false; problem: string };

/** Where the decision was found in a reply: a tool call's arguments, or text written by the model. */
export interface AnswerSource {
  /** Arguments of a `submit_decision` tool call. */
  arguments?: string | undefined;
  /** Message content (a server that ignores tool_choice, or plain-JSON mode). */
  content?: string | null | undefined;
}

const SUBMIT = "submit_decision";
/** `<tool_call>…</tool_call>`: how Hermes and Qwen chat templates write a call when the server does not parse it. */
const TOOL_CALL_BLOCK = /<tool_call>\s*([\s\S]*?)\s*(?:<\/tool_call>|$)/gi;
const FENCE = /```(?:json|JSON)?\s*\n?([\s\S]*?)```/g;

/**
 * Read a decision leniently, as local models write it: the tool call's arguments; or in the content, a bare
 * JSON object, one inside a ```json fence, one inside a `<tool_call>` block (`{"name": "submit_decision",
 * "arguments": {...}}`), or one wrapped in prose before and after. Several different decisions in one answer
 * are not guessed between: that is a problem the model is told about.
 */
export function parseAnswer(source: AnswerSource, applicable: readonly ActionId[] = ACTION_IDS): Parsed {
  const raw = source.arguments ?? source.content ?? "";
  const candidates = source.arguments !== undefined ? [raw] : jsonCandidates(raw);
  const decisions: unknown[] = [];
  for (const text of candidates) {
    const value = parseJson(text);
    const decision = unwrap(value);
    if (decision !== undefined) decisions.push(decision);
  }
  if (decisions.length === 0) {
    return {
      ok: false,
      problem: raw.trim() === "" ? "the answer is empty" : "the answer is not valid JSON",
    };
  }
  const distinct = new Set(decisions.map((d) => JSON.stringify((d as { action?: unknown }).action)));
  if (distinct.size > 1) {
    return { ok: false, problem: `the answer holds ${distinct.size} different decisions; give exactly one` };
  }
  return validate(decisions[0], applicable);
}

function validate(json: unknown, applicable: readonly ActionId[]): Parsed {
  const action = (json as { action?: unknown } | null)?.action;
  if (typeof action === "string" && !isActionId(action)) {
    return { ok: false, problem: `action "${action.slice(0, 60)}" is not in the catalog` };
  }
  if (typeof action === "string" && isActionId(action) && !applicable.includes(action)) {
    return {
      ok: false,
      problem: `action "${action}" does not apply to this target's platform; choose one of ${applicable.join(", ")}`,
    };
  }
  const result = modelDecisionSchema.safeParse(json);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, problem: describeIssues(result.error) };
}

/** A decision object, unwrapped from `{name: submit_decision, arguments|parameters: …}` where needed. */
function unwrap(value: unknown): unknown {
  if (!isObject(value)) return undefined;
  if ("action" in value) return value;
  const name = value.name ?? (isObject(value.function) ? value.function.name : undefined);
  const args =
    value.arguments ??
    value.parameters ??
    (isObject(value.function) ? (value.function.arguments ?? value.function.parameters) : undefined);
  if (name !== SUBMIT || args === undefined) return undefined;
  const inner = typeof args === "string" ? parseJson(args) : args;
  return isObject(inner) ? inner : undefined;
}

/** Every piece of the text that may be a JSON object: the whole, fenced blocks, tool-call blocks, balanced braces. */
function jsonCandidates(text: string): string[] {
  const out = [text.trim()];
  for (const m of text.matchAll(TOOL_CALL_BLOCK)) out.push(m[1]!);
  for (const m of text.matchAll(FENCE)) out.push(m[1]!);
  out.push(...balancedObjects(text));
  return [...new Set(out.filter((s) => s.startsWith("{")))];
}

/** Top-level `{…}` spans of the text, braces inside JSON strings ignored. */
function balancedObjects(text: string): string[] {
  const spans: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"' && depth > 0) inString = true;
    else if (c === "{") {
      if (depth === 0) start = i;
      depth++;
    } else if (c === "}" && depth > 0) {
      depth--;
      if (depth === 0) spans.push(text.slice(start, i + 1));
    }
  }
  return spans;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Tool calls a model wrote as text (`<tool_call>{"name": …, "arguments": {…}}</tool_call>`), as Hermes and Qwen
 * templates do on a server that passed the tools in the prompt but does not parse calls out of the reply.
 */
export function textToolCalls(
  content: string | null | undefined,
): Array<{ name: string; arguments: string }> {
  const calls: Array<{ name: string; arguments: string }> = [];
  for (const m of (content ?? "").matchAll(TOOL_CALL_BLOCK)) {
    const value = parseJson(m[1]!);
    if (!isObject(value) || typeof value.name !== "string") continue;
    const args = value.arguments ?? value.parameters ?? {};
    calls.push({ name: value.name, arguments: typeof args === "string" ? args : JSON.stringify(args) });
  }
  return calls;
}
