import { readFileSync } from "node:fs";
import { LineCounter, parseDocument } from "yaml";
import { AegisError } from "../../core/errors.ts";
import { policySchema, type Policy } from "./schema.ts";

/** The built-in policy used when no policy file is configured. */
export function defaultPolicy(): Policy {
  return policySchema.parse({});
}

/** Read and validate the policy file; errors name the file, the line and the field. */
export function loadPolicy(path: string | undefined): Policy {
  if (!path) return defaultPolicy();
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new AegisError("policy_invalid", `${path}: cannot read policy file (${(err as Error).message})`);
  }
  return parsePolicy(text, path);
}

/** Parse policy YAML text; `source` names it in error messages. */
export function parsePolicy(text: string, source: string): Policy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? "?";
    throw new AegisError("policy_invalid", `${source}:${line}: YAML error: ${e.message.split("\n")[0]}`);
  }
  const parsed = policySchema.safeParse(doc.toJS() ?? {});
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
  throw new AegisError("policy_invalid", `${source}:${line}: ${field}: ${issue.message}`);
}
