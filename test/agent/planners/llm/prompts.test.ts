import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadPrompts, renderPrompt } from "../../../../agent/planners/llm/prompts.ts";

const dir = mkdtempSync(join(tmpdir(), "aegis-prompts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("prompt templates", () => {
  it("loads the shipped v1 templates by version, without their header", () => {
    const set = loadPrompts("v1");
    expect(set.version).toBe("v1");
    expect(set.templates.system).toMatch(/^You are AegisOps/);
    expect(set.templates.investigate).toContain("{{evidence}}");
    expect(set.templates.decide).toContain("submit_decision");
  });

  it("rejects a version that does not exist, naming the file", () => {
    expect(() => loadPrompts("v99")).toThrow(/prompt system version v99 not found: .*system\.v99\.txt/);
  });

  it("rejects a file whose header does not match its name (a copy that was not updated)", () => {
    for (const name of ["system", "investigate", "decide"]) {
      writeFileSync(join(dir, `${name}.v2.txt`), `# aegis-prompt: ${name} version: v1\ntext`);
    }
    expect(() => loadPrompts("v2", dir)).toThrow(/system\.v2\.txt:1: header must be/);
  });

  it("fills placeholders and refuses to send a template with one left empty", () => {
    expect(renderPrompt("target {{target}} ({{n}})", { target: "web", n: 3 })).toBe("target web (3)");
    expect(() => renderPrompt("target {{target}}", {})).toThrow(/\{\{target\}\} has no value/);
  });
});
