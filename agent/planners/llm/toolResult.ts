import { z } from "zod";
import type { Tool } from "../../../tools/tool.ts";

/** About four characters a token in English and JSON: the estimate used where no tokenizer runs. */
export const CHARS_PER_TOKEN = 4;

export const estimateTokens = (text: string): number => Math.ceil(text.length / CHARS_PER_TOKEN);

/** Parameters that narrow a read, named in the note a cut result carries so the model can ask again. */
const NARROWING = [
  "tail",
  "tailLines",
  "sinceSeconds",
  "limit",
  "samples",
  "labelSelector",
  "name",
  "pod",
  "container",
  "previous",
  "start",
  "end",
  "stepSeconds",
  "query",
];

/** The parameters of a tool that narrow what it returns, in the order people would reach for them. */
export function narrowingParams(t: Pick<Tool, "parameters">): string[] {
  const shape = t.parameters instanceof z.ZodObject ? Object.keys(t.parameters.shape as object) : [];
  return NARROWING.filter((p) => shape.includes(p));
}

/**
 * A tool's output cut to at most `maxTokens` (estimated) for the model. Lists (log lines, events) are in time
 * order, newest last, so the oldest entries of the largest list go first: the newest, where an incident shows,
 * are kept. The result says what was cut and which parameters narrow the query. Output with no list to cut is
 * cut at its end, and says so.
 */
export function fitToolResult(
  output: unknown,
  maxTokens: number,
  narrowBy: readonly string[] | { how: string },
): unknown {
  const whole = JSON.stringify(output ?? null);
  if (estimateTokens(whole) <= maxTokens) return output;
  const how =
    "how" in narrowBy
      ? narrowBy.how
      : narrowBy.length > 0
        ? `narrow the query with ${narrowBy.join(", ")}`
        : "ask a narrower question";
  const list = largestList(output);
  if (list) {
    const { path, items } = list;
    // The most entries, newest first, that fit with the note beside them (binary search on the count kept).
    let lo = 0;
    let hi = items.length;
    const label = path.length > 0 ? path.join(".") : "the list";
    const build = (keep: number) =>
      withList(output, path, items.slice(items.length - keep), {
        cut: `the ${items.length - keep} oldest of ${items.length} entries of ${label} were cut to fit ${maxTokens} tokens; the ${keep} newest are kept. To see others, ${how}.`,
      });
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (estimateTokens(JSON.stringify(build(mid))) <= maxTokens) lo = mid;
      else hi = mid - 1;
    }
    if (lo > 0) return build(lo);
  }
  const keepChars = Math.max(0, maxTokens * CHARS_PER_TOKEN - 200);
  return {
    truncated_json: whole.slice(0, keepChars),
    cut: `the result was ${estimateTokens(whole)} tokens; only its first ${maxTokens} are kept. To see the rest, ${how}.`,
  };
}

type Path = string[];

/** The array holding the most text, at the top or up to three levels down (evidence.observations.<tool>.lines). */
function largestList(value: unknown): { path: Path; items: unknown[] } | null {
  let best: { path: Path; items: unknown[]; size: number } | null = null;
  const visit = (v: unknown, path: Path, depth: number) => {
    if (Array.isArray(v)) {
      const size = JSON.stringify(v).length;
      if (v.length > 1 && (!best || size > best.size)) best = { path, items: v, size };
      return;
    }
    if (depth >= 3 || typeof v !== "object" || v === null) return;
    for (const [k, child] of Object.entries(v)) visit(child, [...path, k], depth + 1);
  };
  visit(value, [], 0);
  const found = best as { path: Path; items: unknown[] } | null;
  return found ? { path: found.path, items: found.items } : null;
}

/** A copy of `value` with the array at `path` replaced, and `extra` beside the top-level fields. */
function withList(value: unknown, path: Path, items: unknown[], extra: Record<string, unknown>): unknown {
  const replace = (v: unknown, i: number): unknown => {
    if (i === path.length) return items;
    const obj = v as Record<string, unknown>;
    return { ...obj, [path[i]!]: replace(obj[path[i]!], i + 1) };
  };
  if (path.length === 0) return { entries: items, ...extra };
  return { ...(replace(value, 0) as object), ...extra };
}
