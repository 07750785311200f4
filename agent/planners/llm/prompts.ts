import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { AegisError } from "../../../core/errors.ts";

/** The prompt templates shipped with AegisOps. */
export const BUNDLED_PROMPTS_DIR = fileURLToPath(new URL("../../../prompts", import.meta.url));

export const PROMPT_NAMES = ["system", "investigate", "decide", "decide_json"] as const;
export type PromptName = (typeof PROMPT_NAMES)[number];

/** One version of the three templates the LLM planner uses. */
export interface PromptSet {
  version: string;
  templates: Record<PromptName, string>;
}

const HEADER = /^# aegis-prompt: (\S+) version: (\S+)\s*$/;
const VERSION = /^[A-Za-z0-9._-]+$/;

/**
 * Load `<name>.<version>.txt` for every prompt name from `dir`. The header line must name the same prompt
 * and version as the file name, so a copied file that was not updated is caught at start-up.
 */
export function loadPrompts(version: string, dir: string = BUNDLED_PROMPTS_DIR): PromptSet {
  if (!VERSION.test(version)) throw new AegisError("config_invalid", `invalid prompt version "${version}"`);
  const templates = {} as Record<PromptName, string>;
  for (const name of PROMPT_NAMES) {
    const file = join(dir, `${name}.${version}.txt`);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new AegisError("config_invalid", `prompt ${name} version ${version} not found: ${file}`, {
        cause: err,
      });
    }
    const [first = "", ...rest] = text.split("\n");
    const header = HEADER.exec(first);
    if (!header || header[1] !== name || header[2] !== version) {
      throw new AegisError(
        "config_invalid",
        `${file}:1: header must be "# aegis-prompt: ${name} version: ${version}"`,
      );
    }
    templates[name] = rest.join("\n").trim();
  }
  return { version, templates };
}

/** Fill `{{name}}` placeholders; a placeholder without a value is an error, never an empty string. */
export function renderPrompt(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => {
    const value = values[key];
    if (value === undefined) throw new AegisError("internal", `prompt placeholder {{${key}}} has no value`);
    return String(value);
  });
}
