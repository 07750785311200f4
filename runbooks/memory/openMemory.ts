import { existsSync } from "node:fs";
import type OpenAI from "openai";
import type { Db } from "../../store/db.ts";
import type { Embedder } from "./embedder.ts";
import { fitIdf, LocalHashEmbedder } from "./localEmbedder.ts";
import { OpenAIEmbedder } from "./openaiEmbedder.ts";
import { readRunbookDir, type Runbook, type RunbookProblem } from "./runbookParser.ts";
import {
  loadVec,
  runbookChunks,
  SqliteRunbookMemory,
  type ImportResult,
  type MemoryOptions,
} from "./runbookMemory.ts";

/**
 * Dimension of the local embedder: 256 hashed buckets keep a brute-force top-5 over 10,000 entries under
 * 10 ms and measured as well as 1024 on the labelled retrieval set (evals/retrieval).
 */
export const LOCAL_DIMENSION = 256;

/** Which embedder makes the vectors. The OpenAI client is built once by the caller. */
export type EmbedderChoice =
  | { kind: "local"; dimension?: number }
  | { kind: "openai"; client: OpenAI; model: string; dimension: number };

/** The memory, opened and loaded with a runbook directory. */
export interface OpenedMemory {
  memory: SqliteRunbookMemory;
  problems: RunbookProblem[];
  imported: ImportResult;
}

/**
 * Open the runbook memory on `db` and import the runbooks of `runbooksDir` (if it exists). Bad runbook
 * files are returned as problems (file and line); the others load. With the local embedder, IDF weights
 * come from every runbook's text, so importing new runbooks re-embeds what is stored (see SqliteRunbookMemory).
 */
export async function openRunbookMemory(
  db: Db,
  opts: { runbooksDir?: string; embedder: EmbedderChoice; memory?: Partial<MemoryOptions> },
): Promise<OpenedMemory> {
  const { runbooks, problems } =
    opts.runbooksDir && existsSync(opts.runbooksDir)
      ? readRunbookDir(opts.runbooksDir)
      : { runbooks: [] as Runbook[], problems: [] as RunbookProblem[] };
  const embedder = buildEmbedder(db, opts.embedder, runbooks);
  const memory = await SqliteRunbookMemory.open(db, embedder, opts.memory);
  const imported = await memory.importRunbooks(runbooks);
  await memory.importLegacyFixes();
  return { memory, problems, imported };
}

function buildEmbedder(db: Db, choice: EmbedderChoice, runbooks: readonly Runbook[]): Embedder {
  if (choice.kind === "openai") return new OpenAIEmbedder(choice.client, choice.model, choice.dimension);
  loadVec(db);
  // IDF over every runbook chunk: the stored ones not being replaced, and the ones being loaded now.
  const incoming = new Set(runbooks.map((r) => r.id));
  const stored = (
    db
      .prepare(
        `SELECT e.key, c.text FROM memory_chunks c JOIN memory_entries e ON e.id = c.entry_id
         WHERE e.kind = 'runbook' ORDER BY c.id`,
      )
      .all() as Array<{ key: string; text: string }>
  )
    .filter((r) => !incoming.has(r.key))
    .map((r) => r.text);
  const docs = [...stored, ...runbooks.flatMap((r) => runbookChunks(r).map((c) => c.text))];
  return new LocalHashEmbedder(fitIdf(docs), choice.dimension ?? LOCAL_DIMENSION);
}
