import type { SyntaxNode } from "@lezer/common";
import { parser } from "@prometheus-io/lezer-promql";

/**
 * The window a re-evaluated alert expression reads, in seconds: two minutes hold a few scrapes even at a 30 s
 * scrape interval (a rate needs two samples at least), and are short enough to leave the broken release behind
 * within a verification.
 */
export const RECENT_WINDOW_S = 120;

const UNIT_S: Record<string, number> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_536_000,
};

/** Functions whose value does not depend on the window's length (a per-second rate, a level, a quantile). */
const SCALE_FREE = new Set([
  "rate",
  "irate",
  "avg_over_time",
  "min_over_time",
  "max_over_time",
  "last_over_time",
  "quantile_over_time",
  "deriv",
]);

/** Seconds of a PromQL duration literal (`5m`, `1h30m`); undefined for anything else. Pure. */
function seconds(text: string): number | undefined {
  let total = 0;
  let used = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)?/g)) {
    total += Number(m[1]) * UNIT_S[m[2] ?? "s"]!;
    used += m[0].length;
  }
  return used === text.length && used > 0 ? total : undefined;
}

/**
 * An alert expression that reads only the last {@link RECENT_WINDOW_S} seconds, to tell whether a symptom is still
 * there after an action: verifying with the rule's own window would wait the whole window out (a 5-minute rate
 * still holds 5 minutes of the broken release) and call a good fix failed.
 * - a range selector inside a function whose value does not depend on the window's length (`rate`, `irate`,
 *   `avg_over_time`, `max_over_time` ...) is shortened to the recent window;
 * - `increase(x[1h])` becomes `(rate(x[120s]) * 3600)`: the recent rate, over the rule's own window;
 * - every other range (`sum_over_time`, `count_over_time`, `changes`, subqueries) is left as written: shortening
 *   it would lower an absolute count and pass a fix that did nothing.
 * An expression that does not parse is returned unchanged. Pure.
 */
export function recentWindow(expr: string, windowS: number = RECENT_WINDOW_S): string {
  const edits: Array<{ from: number; to: number; text: string }> = [];
  let broken = false;
  const text = (n: SyntaxNode) => expr.slice(n.from, n.to);
  parser.parse(expr).iterate({
    enter: (ref) => {
      if (ref.type.isError) broken = true;
      if (ref.name !== "MatrixSelector") return;
      const n = ref.node;
      const call = n.parent?.parent;
      const ident = call?.name === "FunctionCall" ? call.firstChild : null;
      const fn = ident ? text(ident) : "";
      let duration: SyntaxNode | null = null;
      for (let c = n.firstChild; c; c = c.nextSibling) if (c.name === "DurationExpr") duration = c;
      const s = duration ? seconds(text(duration)) : undefined;
      if (!duration || s === undefined || s <= windowS) return;
      if (SCALE_FREE.has(fn)) edits.push({ from: duration.from, to: duration.to, text: `${windowS}s` });
      else if (fn === "increase" && ident && call) {
        edits.push({ from: ident.from, to: ident.to, text: "(rate" });
        edits.push({ from: duration.from, to: duration.to, text: `${windowS}s` });
        edits.push({ from: call.to, to: call.to, text: ` * ${s})` });
      }
    },
  });
  if (broken) return expr;
  let out = expr;
  for (const e of edits.sort((a, b) => b.from - a.from))
    out = `${out.slice(0, e.from)}${e.text}${out.slice(e.to)}`;
  return out;
}
