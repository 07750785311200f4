import { readFileSync } from "node:fs";
import { AegisError } from "../../core/errors.ts";
import { parseYaml } from "../../core/yaml.ts";
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
  return parseYaml(policySchema, text, source, "policy_invalid");
}
