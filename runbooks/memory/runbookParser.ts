import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { z } from "zod";
import { isActionId, type ActionId } from "../../core/catalog.ts";

/** One `##` section of a runbook: the unit that is embedded and indexed. */
export interface RunbookSection {
  heading: string;
  text: string;
}

/** A parsed runbook file. */
export interface Runbook {
  id: string;
  title: string;
  actions: ActionId[];
  signals: string[];
  platforms: string[];
  /** Alert names this runbook answers (optional front-matter key `alerts`). */
  alerts: string[];
  file: string;
  markdown: string;
  sections: RunbookSection[];
}

/** A runbook file that could not be loaded, with where. */
export interface RunbookProblem {
  file: string;
  line: number;
  message: string;
}

const REQUIRED_SECTIONS = ["Symptoms", "Tell it apart from", "Action", "Verify"];

const stringList = z.array(z.string().min(1));
const frontMatterSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/, "must be a snake_case id"),
  title: z.string().min(3),
  actions: stringList.min(1),
  signals: stringList.default([]),
  platforms: z.array(z.enum(["docker", "kubernetes"])).min(1),
  alerts: stringList.default([]),
});

/** Parse one runbook's text. Returns the runbook, or the problem with its line (1-based). */
export function parseRunbook(file: string, markdown: string): Runbook | RunbookProblem {
  const lines = markdown.split("\n");
  const problem = (line: number, message: string): RunbookProblem => ({ file, line, message });
  if (lines[0]?.trim() !== "---") return problem(1, "no front matter: the file must start with a '---' line");
  const end = lines.findIndex((l, i) => i > 0 && l.trim() === "---");
  if (end < 0) return problem(1, "front matter is not closed by a '---' line");

  // The format keeps one key per line, so a list left open is reported on its own line (YAML would
  // blame the next one).
  for (let i = 1; i < end; i++) {
    const l = lines[i]!;
    if ((l.match(/\[/g) ?? []).length !== (l.match(/\]/g) ?? []).length) {
      return problem(
        i + 1,
        `front matter: unbalanced brackets in '${l.trim()}' (lists stay on one line: [a, b])`,
      );
    }
  }
  let raw: unknown;
  try {
    raw = parseYaml(lines.slice(1, end).join("\n"));
  } catch (err) {
    const line = err instanceof YAMLParseError ? (err.linePos?.[0]?.line ?? 1) + 1 : 2;
    return problem(line, `front matter is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  const keyLine = (key: string) => {
    const i = lines.slice(1, end).findIndex((l) => l.startsWith(`${key}:`));
    return i < 0 ? 1 : i + 2;
  };
  const parsed = frontMatterSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? "");
    return problem(keyLine(key), `front matter field '${key}': ${issue.message}`);
  }
  const fm = parsed.data;
  const expected = basename(file, ".md");
  if (fm.id !== expected)
    return problem(keyLine("id"), `id '${fm.id}' does not match the file name '${expected}'`);
  const unknown = fm.actions.filter((a) => !isActionId(a));
  if (unknown.length > 0) {
    return problem(keyLine("actions"), `unknown action id(s): ${unknown.join(", ")} (see core/catalog.ts)`);
  }

  const sections: RunbookSection[] = [];
  let current: { heading: string; start: number; body: string[] } = {
    heading: "Summary",
    start: end + 1,
    body: [],
  };
  for (let i = end + 1; i < lines.length; i++) {
    const line = lines[i]!;
    const h2 = /^##\s+(.+?)\s*$/.exec(line);
    if (h2) {
      sections.push({ heading: current.heading, text: current.body.join("\n").trim() });
      current = { heading: h2[1]!, start: i + 1, body: [] };
    } else if (!/^#\s/.test(line)) {
      current.body.push(line);
    }
  }
  sections.push({ heading: current.heading, text: current.body.join("\n").trim() });
  const missing = REQUIRED_SECTIONS.filter((s) => !sections.some((x) => x.heading === s));
  if (missing.length > 0) {
    return problem(end + 2, `missing section(s): ${missing.map((s) => `## ${s}`).join(", ")}`);
  }
  return {
    id: fm.id,
    title: fm.title,
    actions: fm.actions as ActionId[],
    signals: fm.signals,
    platforms: fm.platforms,
    alerts: fm.alerts,
    file,
    markdown,
    sections: sections.filter((s) => s.text !== ""),
  };
}

/** True for a parse result that is a problem, not a runbook. */
export function isProblem(r: Runbook | RunbookProblem): r is RunbookProblem {
  return "message" in r;
}

/** Read every `*.md` runbook of a directory (README.md excluded). Bad files are reported; the rest load. */
export function readRunbookDir(dir: string): { runbooks: Runbook[]; problems: RunbookProblem[] } {
  const runbooks: Runbook[] = [];
  const problems: RunbookProblem[] = [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".md") && f.toLowerCase() !== "readme.md")
    .sort();
  for (const name of files) {
    const file = join(dir, name);
    const result = parseRunbook(file, readFileSync(file, "utf8"));
    if (isProblem(result)) problems.push(result);
    else runbooks.push(result);
  }
  return { runbooks, problems };
}
