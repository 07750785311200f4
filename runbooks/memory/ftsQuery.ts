import { isStopword } from "./textFeatures.ts";

/** At most this many distinct terms go into one FTS5 query: enough for an alert plus a few log lines. */
const MAX_TERMS = 32;

/**
 * An FTS5 MATCH expression (terms joined by OR, each quoted so no input can inject FTS syntax) from free
 * text, or "" when nothing is left to search for. The table's porter tokenizer does the stemming.
 */
export function ftsQuery(text: string): string {
  const spaced = splitCamel(text).toLowerCase();
  const terms = new Set<string>();
  for (const m of spaced.matchAll(/[a-z0-9]+/g)) {
    const w = m[0];
    if (w.length < 2 || w.length > 30 || isStopword(w)) continue;
    terms.add(w);
    if (terms.size >= MAX_TERMS) break;
  }
  return [...terms].map((t) => `"${t}"`).join(" OR ");
}

/** The text as indexed: as written, plus camelCase words split ("CrashLoopBackOff" also as "Crash Loop Back Off"). */
export function ftsDocument(text: string): string {
  const camel = [...new Set(text.match(/\b[A-Za-z]*[a-z][A-Z][A-Za-z]*\b/g) ?? [])];
  return camel.length ? `${text}\n${camel.map(splitCamel).join(" ")}` : text;
}

function splitCamel(text: string): string {
  return text.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2");
}
