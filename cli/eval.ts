import { join } from "node:path";
import { Command } from "commander";
import { loadConfig, type Config } from "../core/config.ts";
import { AegisError } from "../core/errors.ts";
import { silentLogger } from "../core/logger.ts";
import {
  readQuerySet,
  readSeedIncidents,
  RETRIEVAL_DIR,
  scoreQuerySet,
  seedMemory,
  type RetrievalScore,
} from "../evals/retrieval/harness.ts";
import { openDatabase } from "../store/db.ts";
import { openMemory } from "./compose.ts";
import { formatTable } from "./runbook.ts";

/**
 * The labelled retrieval sets, scored separately: ours; alert rules written by others; and queries written
 * by a helper who never saw the runbook texts (never tuned on).
 */
const RETRIEVAL_SETS = [
  { name: "developer", file: "queries.json" },
  { name: "external", file: "external-queries.json" },
  { name: "blind", file: "blind-queries.json" },
] as const;

/** One eval suite's result; the scenario harness adds its own suite beside `retrieval`. */
export interface SuiteResult {
  suite: string;
  /** The embedder (or planner) the figures were measured with. */
  subject: string;
  sets: RetrievalScore[];
}

/** Score runbook-memory retrieval on a fresh in-memory database (never the user's AEGIS_DB). */
export async function runRetrievalSuite(config: Readonly<Config>, dir = RETRIEVAL_DIR): Promise<SuiteResult> {
  const db = openDatabase(":memory:");
  try {
    const { memory, problems } = await openMemory(config, db, silentLogger(), {
      runbooksDir: config.runbooksDir,
    });
    if (problems.length > 0) {
      throw new AegisError(
        "config_invalid",
        `runbooks did not load: ${problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join("; ")}`,
      );
    }
    await seedMemory(memory, readSeedIncidents(join(dir, "incidents.json")));
    const sets: RetrievalScore[] = [];
    for (const s of RETRIEVAL_SETS)
      sets.push(await scoreQuerySet(memory, s.name, readQuerySet(join(dir, s.file))));
    return { suite: "retrieval", subject: memory.embedder.id, sets };
  } finally {
    db.close();
  }
}

/** `aegis eval`: score AegisOps on labelled sets and print a table (or JSON). */
export function evalCommand(): Command {
  return new Command("eval")
    .description("score AegisOps on labelled sets in evals/ (today: runbook retrieval)")
    .option("--retrieval", "runbook-memory retrieval: recall@1, recall@3 and MRR per query set (the default)")
    .option("--verbose", "also list the queries whose right answer was not ranked first")
    .option("--json", "print JSON")
    .action(async (opts: { retrieval?: boolean; verbose?: boolean; json?: boolean }) => {
      const config = loadConfig();
      const results: SuiteResult[] = [await runRetrievalSuite(config)];
      if (opts.json) {
        const out = results.map((r) => ({
          ...r,
          sets: r.sets.map((s) => (opts.verbose ? s : { ...s, misses: s.misses.length })),
        }));
        process.stdout.write(JSON.stringify(out, null, 2) + "\n");
        return;
      }
      for (const r of results) {
        process.stdout.write(`${r.suite} (${r.subject})\n`);
        process.stdout.write(
          formatTable(
            ["set", "queries", "recall@1", "recall@3", "MRR"],
            r.sets.map((s) => [s.set, String(s.queries), fmt(s.recallAt1), fmt(s.recallAt3), fmt(s.mrr)]),
          ) + "\n",
        );
        if (opts.verbose) {
          for (const s of r.sets) {
            for (const m of s.misses) {
              process.stdout.write(
                `  ${s.set} ${m.id}: expected ${m.expect}, ranked ${m.rank ?? "not in top 10"}; top: ${m.top.join(", ")}\n`,
              );
            }
          }
        }
      }
    });
}

const fmt = (n: number) => n.toFixed(3);
