import { redactValue } from "../../../core/redact.ts";

/** Longest piece of quoted data sent to the model in one message. */
export const MAX_QUOTED_CHARS = 12_000;

/**
 * Untrusted data (alerts, logs, metric labels, tool output) as the model sees it: redacted of secrets,
 * JSON-encoded and wrapped in an <untrusted_data> block. `<` is escaped inside the JSON, so no log line
 * can close the block and speak outside it.
 */
export function quoteData(source: string, value: unknown, maxChars = MAX_QUOTED_CHARS): string {
  let json = JSON.stringify(redactValue(value) ?? null);
  if (json.length > maxChars) json = `${json.slice(0, maxChars)}…(truncated ${json.length - maxChars} chars)`;
  const safe = json.replaceAll("<", "\\u003c").replaceAll(">", "\\u003e");
  return `<untrusted_data source="${source.replace(/[^\w.-]/g, "_")}">\n${safe}\n</untrusted_data>`;
}
