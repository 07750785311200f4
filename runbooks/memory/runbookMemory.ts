import type { Db } from "../../store/db.ts";
import type { Embedder } from "./embedder.ts";
import type {
  FixMemory,
  FixRecord,
  MemoryHit,
  RecallQuery,
  Recollection,
  RecordResult,
} from "./fixMemory.ts";
import { ftsQuery } from "./ftsQuery.ts";
import { incidentFields, loadVec, MemoryStore, type MemoryEntry } from "./memoryStore.ts";
import { fixesFrom, matchEntries, scoreEntries, toHit, type RankOptions } from "./ranker.ts";
import { importLegacyFixes, importRunbooks, type ImportResult } from "./runbookImporter.ts";
import type { Runbook } from "./runbookParser.ts";
import { contentTokens } from "./textFeatures.ts";

export type { MemoryEntry } from "./memoryStore.ts";
export { loadVec } from "./memoryStore.ts";
export { runbookChunks, type ImportResult } from "./runbookImporter.ts";

/** Tuning of retrieval and learning. */
export interface MemoryOptions extends RankOptions {
  /** Cosine similarity above which a new outcome joins an existing incident entry. */
  mergeSimilarity: number;
  /** Candidates fetched from each index before fusion. */
  candidates: number;
}

const DEFAULTS: MemoryOptions = {
  halfLifeDays: 30,
  mergeSimilarity: 0.9,
  minFixSimilarity: 0.35,
  candidates: 50,
  now: () => new Date(),
};

/**
 * Runbook memory in SQLite: the store (memoryStore.ts) keeps entries as chunks in a vector and a full-text
 * index; recall fuses both with exact matches on alert name, service, target kind and signals (ranker.ts);
 * runbook files come in through the importer (runbookImporter.ts). Same database as the incidents.
 */
export class SqliteRunbookMemory implements FixMemory {
  private readonly opts: MemoryOptions;

  private constructor(
    private readonly store: MemoryStore,
    opts: Partial<MemoryOptions>,
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  get embedder(): Embedder {
    return this.store.embedder;
  }

  /** Load sqlite-vec into the connection and make sure every stored vector was made by `embedder`. */
  static async open(
    db: Db,
    embedder: Embedder,
    opts: Partial<MemoryOptions> = {},
  ): Promise<SqliteRunbookMemory> {
    loadVec(db);
    // A brute-force KNN reads every vector per query: keep them in the page cache / memory map, not on disk.
    db.pragma("cache_size = -65536");
    db.pragma("mmap_size = 268435456");
    const store = new MemoryStore(db, embedder);
    await store.syncEmbedder();
    return new SqliteRunbookMemory(store, opts);
  }

  /** Bring in the fixes the first fix store kept, once per database. Returns how many rows were brought in. */
  importLegacyFixes(): Promise<number> {
    return importLegacyFixes(this.store, (fix) => this.record(fix));
  }

  /** Which embedder made the stored vectors, and how many there are. */
  stats(): ReturnType<MemoryStore["stats"]> {
    return this.store.stats();
  }

  /** Add or update runbooks (unchanged files are skipped: nothing is re-embedded). */
  importRunbooks(runbooks: readonly Runbook[]): Promise<ImportResult> {
    return importRunbooks(this.store, runbooks, this.opts.now().toISOString());
  }

  async record(fix: FixRecord): Promise<RecordResult> {
    const text = fix.text?.trim() || fix.signature.join(" ");
    const [vector] = await this.embedder.embed([text]);
    const similar = this.store.nearestIncident(vector!, fix.action, fix.targetKind);
    const now = this.opts.now().toISOString();
    return this.store.transaction((): RecordResult => {
      let entryId: number;
      let key: string;
      const merged = similar !== undefined && similar.similarity >= this.opts.mergeSimilarity;
      if (merged) {
        entryId = similar.entryId;
        key = similar.key;
        this.store.widenEntry(entryId, fix, now);
      } else {
        key = `incident:${fix.incidentId}:${fix.action}`;
        const existing = this.store.entryByKey(key);
        if (existing) entryId = existing.id;
        else {
          entryId = this.store.insertEntry(key, incidentFields(fix, text), now);
          this.store.insertChunk(entryId, "incident", text, vector!);
        }
      }
      this.store.insertOutcome(entryId, fix, now);
      return { entry: key, merged };
    });
  }

  /**
   * Load many remembered incidents at once (restoring an export, benchmarks): one transaction, no merging.
   * Use `record` for outcomes as they happen.
   */
  async loadIncidents(fixes: readonly FixRecord[]): Promise<number> {
    const texts = fixes.map((f) => f.text?.trim() || f.signature.join(" "));
    const vectors = await this.embedder.embed(texts);
    const now = this.opts.now().toISOString();
    this.store.transaction(() => {
      fixes.forEach((fix, i) => {
        const id = this.store.insertEntry(
          `incident:${fix.incidentId}:${fix.action}`,
          incidentFields(fix, texts[i]!),
          now,
        );
        this.store.insertChunk(id, "incident", texts[i]!, vectors[i]!);
        this.store.insertOutcome(id, fix, now);
      });
    });
    return fixes.length;
  }

  async recall(query: RecallQuery, limit = 5): Promise<Recollection> {
    const [vector] = await this.embedder.embed([query.text]);
    const hits = this.rank(query, vector!, Math.max(limit, 10));
    return { hits: hits.slice(0, limit), fixes: fixesFrom(hits, this.opts.minFixSimilarity) };
  }

  /** Ranked hits for a typed query (`aegis runbook search`). */
  async search(text: string, limit = 5): Promise<MemoryHit[]> {
    return (await this.recall({ text }, limit)).hits;
  }

  /** Every entry, runbooks first, by key. */
  list(): MemoryEntry[] {
    return this.store.list();
  }

  /** One entry by key, or undefined. */
  show(key: string): MemoryEntry | undefined {
    return this.store.show(key);
  }

  /** Candidates from both indexes, scored on the cheap columns; rows and outcomes read for the top ones only. */
  private rank(query: RecallQuery, vector: Float32Array, limit: number): MemoryHit[] {
    const k = this.opts.candidates;
    const vecRows = this.store.vectorCandidates(vector, k);
    const match = ftsQuery(query.text);
    const ftsRows = match ? this.store.textCandidates(match, k) : [];
    const chunkIds = [...new Set([...vecRows, ...ftsRows].map((r) => r.id))];
    if (chunkIds.length === 0) return [];
    const chunkOf = new Map(this.store.chunks(chunkIds).map((c) => [c.id, c]));
    const perEntry = matchEntries(vecRows, ftsRows, chunkOf);

    const top = scoreEntries(this.store.matchColumns([...perEntry.keys()]), perEntry, query).slice(0, limit);
    if (top.length === 0) return [];
    const rows = new Map(this.store.entryRows(top.map((t) => t.id)).map((r) => [r.id, r]));
    const outcomes = this.store.outcomesOf(
      [...rows.values()].filter((e) => e.kind === "incident").map((e) => e.id),
    );
    const qTokens = new Set(contentTokens(query.text));
    return top.map((t) => toHit(t, rows.get(t.id)!, outcomes.get(t.id) ?? [], qTokens, this.opts));
  }
}
