import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { AegisError, type ErrorCode } from "./errors.ts";

/**
 * Parse YAML text and validate it with a zod schema. Errors are AegisErrors with `code` whose message names
 * the source, the line and the field, e.g. `policy.yaml:12: caps.actionsPerTargetPerHour: expected number`.
 */
export function parseYaml<S extends z.ZodType>(
  schema: S,
  text: string,
  source: string,
  code: ErrorCode,
): z.infer<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? "?";
    throw new AegisError(code, `${source}:${line}: YAML error: ${e.message.split("\n")[0]}`);
  }
  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.map(String);
  if (issue.code === "unrecognized_keys" && issue.keys[0]) path.push(issue.keys[0]);
  const field = path.join(".") || "(top level)";
  // Point at the deepest node of the path that exists in the document.
  let line: number | string = "?";
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === "object" && node.range) {
      line = lineCounter.linePos(node.range[0]).line;
      break;
    }
  }
  throw new AegisError(code, `${source}:${line}: ${field}: ${issue.message}`);
}
