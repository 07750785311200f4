import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Command } from "commander";
import { loadConfig, type Config } from "../core/config.ts";
import { AegisError } from "../core/errors.ts";
import { silentLogger } from "../core/logger.ts";
import type { SqliteRunbookMemory } from "../runbooks/memory/runbookMemory.ts";
import type { RunbookProblem } from "../runbooks/memory/runbookParser.ts";
import { entrySummary, hitSummary } from "../runbooks/memory/summaries.ts";
import { openDatabase } from "../store/db.ts";
import { formatTable } from "./formatTable.ts";
import { openMemory } from "../app/openMemory.ts";

/** `aegis runbook`: the runbook memory (runbooks and learned fixes) from the command line. */
export function runbookCommand(): Command {
  const cmd = new Command("runbook").description(
    "runbook memory: list, search, show, import and export runbooks and learned fixes (AEGIS_DB)",
  );

  cmd
    .command("list")
    .description("list the runbooks and remembered incidents")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      await withMemory(undefined, async (memory) => {
        const entries = memory.list();
        if (opts.json) return printJson(entries.map(entrySummary));
        print(
          formatTable(
            ["id", "kind", "scenario", "actions", "verified", "failed", "title"],
            entries.map((e) => {
              const s = entrySummary(e);
              return [
                s.id,
                s.kind,
                s.scenario ?? "-",
                s.actions.join(","),
                String(s.verified),
                String(s.failed),
                s.title,
              ];
            }),
          ),
        );
      });
    });

  cmd
    .command("search")
    .description("rank runbooks and past incidents by similarity to a text (alert, description, log lines)")
    .argument("<text>", "what to search for")
    .option("--limit <n>", "how many hits", "5")
    .option("--json", "print JSON: ranked hits with id, title, scenario, score and reasons")
    .action(async (text: string, opts: { json?: boolean; limit: string }) => {
      await withMemory(undefined, async (memory) => {
        const limit = Math.max(1, Math.min(50, Number(opts.limit) || 5));
        const hits = await memory.search(text, limit);
        if (opts.json) return printJson(hits.map(hitSummary));
        if (hits.length === 0) return print("no match");
        print(
          formatTable(
            ["#", "id", "kind", "scenario", "score", "why"],
            hits.map((h, i) => [
              String(i + 1),
              h.key,
              h.kind,
              h.scenario ?? "-",
              h.score.toFixed(3),
              h.reasons.join("; "),
            ]),
          ),
        );
      });
    });

  cmd
    .command("show")
    .description("show one runbook or remembered incident")
    .argument("<id>", "runbook id (e.g. crashloop) or incident entry id")
    .option("--json", "print JSON")
    .action(async (id: string, opts: { json?: boolean }) => {
      await withMemory(undefined, async (memory) => {
        const entry = memory.show(id) ?? memory.list().find((e) => e.key.startsWith(`incident:${id}`));
        if (!entry)
          throw new AegisError("not_found", `no runbook or memory entry '${id}' (see: aegis runbook list)`);
        if (opts.json) return printJson(entry);
        const lines = [
          `${entry.key} (${entry.kind}${entry.scenario ? `, ${entry.scenario}` : ""}): ${entry.title}`,
          `actions: ${entry.actions.join(", ")}`,
          ...(entry.alertNames.length ? [`alerts: ${entry.alertNames.join(", ")}`] : []),
          ...(entry.services.length ? [`services: ${entry.services.join(", ")}`] : []),
          `signals: ${entry.signals.join(", ") || "-"}`,
          `source: ${entry.source ?? "-"}  updated: ${entry.updatedAt}`,
          ...entry.outcomes.map(
            (o) =>
              `outcome: ${o.action} ${o.outcome} on ${o.incidentId} at ${o.recordedAt}${o.verification.length ? ` (${o.verification.join("; ")})` : ""}`,
          ),
          "",
          entry.content,
        ];
        print(lines.join("\n"));
      });
    });

  cmd
    .command("import")
    .description("load runbook markdown files from a directory (bad files are reported; the rest load)")
    .argument("<dir>", "directory of <id>.md runbooks")
    .option("--json", "print JSON")
    .action(async (dir: string, opts: { json?: boolean }) => {
      await withMemory(resolve(dir), async (memory, problems, imported) => {
        if (opts.json) printJson({ ...imported, problems });
        else {
          print(
            `imported from ${resolve(dir)}: ${imported.added.length} added, ${imported.updated.length} updated, ` +
              `${imported.unchanged.length} unchanged, ${problems.length} not loaded (${memory.stats().runbooks} runbooks in memory)`,
          );
        }
        if (problems.length > 0) process.exitCode = 1;
      });
    });

  cmd
    .command("export")
    .description(
      "write the living runbook: every entry with timestamp, issue, fix, verified_healthy and context",
    )
    .option("--out <file>", "write the JSON to a file instead of stdout")
    .option("--json", "print JSON (the default for export; kept for symmetry)")
    .action(async (opts: { out?: string; json?: boolean }) => {
      await withMemory(undefined, async (memory) => {
        const doc = livingRunbook(memory);
        const json = JSON.stringify(doc, null, 2);
        if (opts.out) {
          writeFileSync(opts.out, json + "\n");
          print(`wrote ${doc.entries.length} entries to ${opts.out}`);
        } else print(json);
      });
    });

  return cmd;
}

/** The living runbook document `aegis runbook export` writes. */
export function livingRunbook(memory: SqliteRunbookMemory) {
  const stats = memory.stats();
  return {
    exportedAt: new Date().toISOString(),
    embedder: { id: stats.embedder, dimension: stats.dimension },
    entries: memory.list().map((e) => {
      const last = e.outcomes.at(-1);
      return {
        id: e.key,
        kind: e.kind,
        timestamp: e.updatedAt,
        issue: e.title,
        fix: { action: e.actions[0] ?? "none", alternatives: e.actions.slice(1) },
        // Runbooks are written by people: no verification by an incident yet.
        verified_healthy: e.kind === "incident" ? last?.outcome === "verified" : null,
        context: {
          scenario: e.scenario,
          alert_names: e.alertNames,
          services: e.services,
          target_kinds: e.targetKinds,
          signals: e.signals,
          source: e.source,
          outcomes: e.outcomes,
          ...(e.kind === "incident" ? { evidence: e.content } : { sections: e.sections }),
        },
      };
    }),
  };
}

/**
 * Open the database and the memory (loading the configured runbooks, or `importDir` instead), run `fn`,
 * close. Runbook files that did not load are reported on stderr with file and line.
 */
async function withMemory(
  importDir: string | undefined,
  fn: (
    memory: SqliteRunbookMemory,
    problems: RunbookProblem[],
    imported: { added: string[]; updated: string[]; unchanged: string[] },
  ) => Promise<void>,
): Promise<void> {
  const config: Readonly<Config> = loadConfig();
  const db = openDatabase(config.dbPath, "normal");
  try {
    const { memory, problems, imported } = await openMemory(config, db, silentLogger(), {
      runbooksDir: importDir ?? config.runbooksDir,
    });
    for (const p of problems) process.stderr.write(`runbook not loaded: ${p.file}:${p.line}: ${p.message}\n`);
    await fn(memory, problems, imported);
  } finally {
    db.close();
  }
}

function print(text: string): void {
  process.stdout.write(text + "\n");
}

function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}
