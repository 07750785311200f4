import { copyFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FAILURE_FAMILIES } from "../../core/catalog.ts";
import { isProblem, parseRunbook, readRunbookDir } from "../../runbooks/memory/runbookParser.ts";
import { RUNBOOKS_DIR, tempDir } from "./helpers.ts";

const VALID = `---
id: crashloop
title: Container keeps crashing
actions: [restart_pod, none]
signals: [crash_loop]
platforms: [docker, kubernetes]
---

# Crash loop (crashloop)

Summary line.

## Symptoms

CrashLoopBackOff.

## Tell it apart from

OOM.

## Action

restart_pod.

## Verify

Ready again.
`;

let cleanup = () => {};
afterEach(() => cleanup());

describe("runbook files", () => {
  it("parses one runbook per failure family, each with actions, signals and sections", () => {
    const { runbooks, problems } = readRunbookDir(RUNBOOKS_DIR);
    expect(problems).toEqual([]);
    expect(runbooks.map((r) => r.id).sort()).toEqual([...FAILURE_FAMILIES].sort());
    for (const rb of runbooks) {
      expect(rb.actions.length).toBeGreaterThan(0);
      expect(rb.sections.map((s) => s.heading)).toEqual(
        expect.arrayContaining(["Symptoms", "Tell it apart from", "Action", "Verify"]),
      );
    }
  });

  it.each([
    [
      "unknown action",
      VALID.replace("[restart_pod, none]", "[restart_pod, reboot_everything]"),
      4,
      /reboot_everything/,
    ],
    [
      "id not matching the file",
      VALID.replace("id: crashloop", "id: crash"),
      2,
      /does not match the file name/,
    ],
    [
      "unclosed list",
      VALID.replace("signals: [crash_loop]", "signals: [crash_loop"),
      5,
      /unbalanced brackets/,
    ],
    [
      "broken YAML",
      VALID.replace("title: Container keeps crashing", "title: Container: keeps crashing"),
      3,
      /not valid YAML/,
    ],
    ["no front matter", VALID.replace(/^---\n/, ""), 1, /no front matter/],
    ["missing section", VALID.replace("## Verify", "## Checks"), 8, /## Verify/],
  ])("reports %s with its line", (_name, text, line, message) => {
    const result = parseRunbook("/rb/crashloop.md", text);
    expect(isProblem(result)).toBe(true);
    if (!isProblem(result)) return;
    expect(result.file).toBe("/rb/crashloop.md");
    expect(result.line).toBe(line);
    expect(result.message).toMatch(message);
  });

  it("reports a bad file with file and line and still loads the others", () => {
    const t = tempDir("aegis-runbooks-");
    cleanup = t.cleanup;
    for (const f of readdirSync(RUNBOOKS_DIR).filter((f) => f.endsWith(".md"))) {
      copyFileSync(join(RUNBOOKS_DIR, f), join(t.dir, f));
    }
    writeFileSync(join(t.dir, "crashloop.md"), VALID.replace("[restart_pod, none]", "[restart_pod, reboot]"));
    const { runbooks, problems } = readRunbookDir(t.dir);
    expect(problems).toEqual([
      {
        file: join(t.dir, "crashloop.md"),
        line: 4,
        message: expect.stringMatching(/unknown action id\(s\): reboot/),
      },
    ]);
    expect(runbooks).toHaveLength(FAILURE_FAMILIES.length - 1);
    expect(runbooks.map((r) => r.id)).not.toContain("crashloop");
  });
});
