import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkout5xx, openTestMemory, RUNBOOKS_DIR, tempDir } from "../runbooks/helpers.ts";

const run = promisify(execFile);
const BIN = join(import.meta.dirname, "..", "..", "bin", "aegis.js");

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir("aegis-cli-"));
});
afterEach(() => cleanup());

/** Run `aegis ...` with a fresh AEGIS_DB in the test's temp dir; never throws on a non-zero exit. */
async function aegis(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...process.env, AEGIS_DB: join(dir, "aegis.db"), AEGIS_EMBEDDER: "local", OPENAI_API_KEY: "" },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("aegis runbook", () => {
  it("search --json on a fresh database ranks crashloop first, with the reason", async () => {
    const { code, stdout } = await aegis(
      "runbook",
      "search",
      "pod keeps restarting with exit 78 missing DATABASE_URL",
      "--json",
    );
    expect(code).toBe(0);
    const hits = JSON.parse(stdout) as Array<{
      id: string;
      title: string;
      scenario: string;
      score: number;
      reason: string;
    }>;
    expect(hits[0]).toMatchObject({
      id: "crashloop",
      scenario: "crashloop",
      title: expect.stringMatching(/crash/i),
    });
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    expect(hits[0]!.reason).toMatch(/vector similarity .*full-text/);
  });

  it("search prints a table for people", async () => {
    const { code, stdout } = await aegis("runbook", "search", "kafka consumer group lag keeps growing");
    expect(code).toBe(0);
    expect(stdout.split("\n")[0]).toMatch(/#\s+id\s+kind\s+scenario\s+score\s+why/);
    expect(stdout.split("\n")[2]).toMatch(/^1\s+kafka_lag\s+runbook/);
  });

  it("import reports a broken runbook with file and line, loads the others, and exits 1", async () => {
    const src = join(dir, "runbooks");
    mkdirSync(src);
    for (const f of readdirSync(RUNBOOKS_DIR).filter((f) => f.endsWith(".md")))
      copyFileSync(join(RUNBOOKS_DIR, f), join(src, f));
    const broken = readFileSync(join(src, "oom_killed.md"), "utf8").replace(
      /^actions: \[/m,
      "actions: [reboot_host, ",
    );
    writeFileSync(join(src, "oom_killed.md"), broken);

    const { code, stdout, stderr } = await aegis("runbook", "import", src, "--json");

    expect(code).toBe(1);
    expect(stderr).toContain(`${join(src, "oom_killed.md")}:4: unknown action id(s): reboot_host`);
    const result = JSON.parse(stdout) as { added: string[]; problems: Array<{ file: string; line: number }> };
    expect(result.added).toHaveLength(13);
    expect(result.problems).toEqual([expect.objectContaining({ file: join(src, "oom_killed.md"), line: 4 })]);
  });

  it("show prints one runbook; export writes the living runbook with learned fixes", async () => {
    // A fix learned by an earlier process, in the same database file.
    const { db, memory } = await openTestMemory(join(dir, "aegis.db"));
    await memory.record(checkout5xx("inc_42", "verified"));
    db.close();

    const show = await aegis("runbook", "show", "crashloop", "--json");
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({
      key: "crashloop",
      kind: "runbook",
      actions: expect.arrayContaining(["rollback_deployment"]),
    });

    const out = join(dir, "living.json");
    const exp = await aegis("runbook", "export", "--out", out);
    expect(exp.code).toBe(0);
    const doc = JSON.parse(readFileSync(out, "utf8")) as { entries: Array<Record<string, unknown>> };
    const learned = doc.entries.find((e) => e.kind === "incident")!;
    expect(learned).toMatchObject({
      id: "incident:inc_42:restart_container",
      timestamp: expect.any(String),
      issue: expect.stringMatching(/restart_container fixed CheckoutErrors/),
      fix: { action: "restart_container" },
      verified_healthy: true,
      context: expect.objectContaining({ scenario: "http_5xx", services: ["checkout"] }),
    });
    expect(doc.entries.filter((e) => e.kind === "runbook")).toHaveLength(14);

    const list = await aegis("runbook", "list", "--json");
    expect((JSON.parse(list.stdout) as Array<{ id: string }>).map((e) => e.id)).toContain(
      "incident:inc_42:restart_container",
    );
  });
});

describe("aegis eval --retrieval", () => {
  it("scores the labelled query sets separately and meets recall@3 on ours", async () => {
    const { code, stdout } = await aegis("eval", "--retrieval", "--json");
    expect(code).toBe(0);
    const [suite] = JSON.parse(stdout) as Array<{
      suite: string;
      subject: string;
      sets: Array<{ set: string; queries: number; recallAt3: number; mrr: number }>;
    }>;
    expect(suite!.suite).toBe("retrieval");
    expect(suite!.subject).toMatch(/^local-hash/);
    const developer = suite!.sets.find((s) => s.set === "developer")!;
    expect(developer.queries).toBeGreaterThanOrEqual(60);
    expect(developer.recallAt3).toBeGreaterThanOrEqual(0.95);
    expect(suite!.sets.map((s) => s.set)).toEqual(["developer", "external", "blind"]);
  });
});
