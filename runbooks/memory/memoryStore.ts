import { createHash } from "node:crypto";
import type { Statement as SqliteStatement } from "better-sqlite3";
import * as sqliteVec from "sqlite-vec";
import type { ActionId } from "../../core/catalog.ts";
import type { Db } from "../../store/db.ts";
import type { Embedder } from "./embedder.ts";
import type { FixRecord } from "./fixMemory.ts";
import {
  joinWords,
  words,
  type EntryRow,
  type OutcomeRow,
  type TextCandidate,
  type VectorCandidate,
} from "./entryRows.ts";
import { ftsDocument } from "./ftsQuery.ts";

type Statement = SqliteStatement<unknown[]>;

/** The columns an entry is written with (`key` and the timestamps aside). */
export type EntryFields = Omit<EntryRow, "id" | "key" | "created_at" | "updated_at"> & {
  content_hash: string;
};

/** One entry in full, for `aegis runbook show` and export. */
export interface MemoryEntry {
  key: string;
  kind: "runbook" | "incident";
  title: string;
  scenario: string | null;
  actions: ActionId[];
  alertNames: string[];
  services: string[];
  signals: string[];
  targetKinds: string[];
  source: string | null;
  content: string;
  createdAt: string;
  updatedAt: string;
  outcomes: Array<{
    incidentId: string;
    action: string;
    outcome: "verified" | "failed";
    recordedAt: string;
    verification: string[];
  }>;
  sections: string[];
}

export const sha = (s: string) => createHash("sha256").update(s).digest("hex");

/** Load sqlite-vec once per connection. */
export function loadVec(db: Db): void {
  try {
    db.prepare("SELECT vec_version()").get();
  } catch {
    sqliteVec.load(db);
  }
}

/** The entry a remembered incident starts as. */
export function incidentFields(fix: FixRecord, text: string): EntryFields {
  return {
    kind: "incident",
    scenario: fix.family,
    title: incidentTitle(fix),
    actions_json: JSON.stringify([fix.action]),
    alert_names: joinWords(fix.alertNames),
    services: joinWords(fix.services),
    signals: joinWords(fix.signature),
    target_kinds: joinWords([fix.targetKind]),
    source: fix.incidentId,
    content: text,
    content_hash: sha(text),
  };
}

function incidentTitle(fix: FixRecord): string {
  const verb = fix.outcome === "verified" ? "fixed" : "did not fix";
  const what = fix.alertNames?.length ? fix.alertNames.join(", ") : fix.signature.join(", ") || "incident";
  return `${fix.action} ${verb} ${what}${fix.family ? ` (${fix.family})` : ""} on ${fix.targetKind}`;
}

/**
 * The SQL side of the runbook memory: entries (runbooks and remembered incidents) split into chunks, each
 * chunk in a `sqlite-vec` table (vectors) and an FTS5 table (BM25). No ranking here: see ranker.ts.
 */
export class MemoryStore {
  private readonly statements = new Map<string, Statement>();

  constructor(
    readonly db: Db,
    readonly embedder: Embedder,
  ) {}

  /**
   * Run `fn` in one write transaction, begun IMMEDIATE: it reads before it writes, and on the database the
   * webhook's process also writes, a deferred one would fail with "database is locked" (SQLITE_BUSY_SNAPSHOT,
   * no busy wait) whenever that process committed between its first read and its first write.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Re-embed everything when the embedder (model, dimension or vocabulary) is not the one that made the vectors. */
  async syncEmbedder(): Promise<void> {
    const meta = this.meta();
    const exists = this.db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'memory_vec'")
      .get();
    if (exists && meta.embedder === this.embedder.id && meta.dimension === String(this.embedder.dimension)) {
      return;
    }
    this.db.exec("DROP TABLE IF EXISTS memory_vec");
    this.db.exec(
      `CREATE VIRTUAL TABLE memory_vec USING vec0(embedding float[${this.embedder.dimension}] distance_metric=cosine)`,
    );
    const chunks = this.db.prepare("SELECT id, text FROM memory_chunks ORDER BY id").all() as Array<{
      id: number;
      text: string;
    }>;
    const BATCH = 512;
    for (let i = 0; i < chunks.length; i += BATCH) {
      const batch = chunks.slice(i, i + BATCH);
      const vectors = await this.embedder.embed(batch.map((c) => c.text));
      this.transaction(() => {
        batch.forEach((c, j) => this.putVector(c.id, vectors[j]!));
      });
    }
    this.transaction(() => {
      this.setMeta("embedder", this.embedder.id);
      this.setMeta("dimension", String(this.embedder.dimension));
    });
  }

  /** Which embedder made the stored vectors, and how many there are. */
  stats(): {
    embedder: string;
    dimension: number;
    entries: number;
    runbooks: number;
    incidents: number;
    chunks: number;
  } {
    const meta = this.meta();
    const count = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    return {
      embedder: meta.embedder ?? this.embedder.id,
      dimension: Number(meta.dimension ?? this.embedder.dimension),
      entries: count("SELECT count(*) AS n FROM memory_entries"),
      runbooks: count("SELECT count(*) AS n FROM memory_entries WHERE kind = 'runbook'"),
      incidents: count("SELECT count(*) AS n FROM memory_entries WHERE kind = 'incident'"),
      chunks: count("SELECT count(*) AS n FROM memory_chunks"),
    };
  }

  // --- entries ---

  entryByKey(key: string): { id: number; content_hash: string } | undefined {
    return this.db.prepare("SELECT id, content_hash FROM memory_entries WHERE key = ?").get(key) as
      { id: number; content_hash: string } | undefined;
  }

  insertEntry(key: string, f: EntryFields, now: string): number {
    const info = this.db
      .prepare(
        `INSERT INTO memory_entries (key, kind, scenario, title, actions_json, alert_names, services, signals,
           target_kinds, source, content, content_hash, created_at, updated_at)
         VALUES (@key, @kind, @scenario, @title, @actions_json, @alert_names, @services, @signals, @target_kinds,
           @source, @content, @content_hash, @now, @now)`,
      )
      .run({ ...f, key, now });
    return Number(info.lastInsertRowid);
  }

  /** Rewrite a runbook entry's columns; its chunks are the caller's to replace. */
  updateRunbookEntry(id: number, f: EntryFields, now: string): void {
    this.db
      .prepare(
        `UPDATE memory_entries SET scenario = @scenario, title = @title, actions_json = @actions_json,
         alert_names = @alert_names, signals = @signals, target_kinds = @target_kinds, source = @source,
         content = @content, content_hash = @content_hash, updated_at = @now WHERE id = @id`,
      )
      .run({ ...f, now, id });
  }

  /** The entry also answers to a new incident's alert names, services and signals from now on. */
  widenEntry(entryId: number, fix: FixRecord, now: string): void {
    const row = this.db
      .prepare("SELECT alert_names, services, signals FROM memory_entries WHERE id = ?")
      .get(entryId) as { alert_names: string; services: string; signals: string };
    this.db
      .prepare(
        "UPDATE memory_entries SET alert_names = ?, services = ?, signals = ?, updated_at = ? WHERE id = ?",
      )
      .run(
        joinWords([...words(row.alert_names), ...(fix.alertNames ?? [])]),
        joinWords([...words(row.services), ...(fix.services ?? [])]),
        joinWords([...words(row.signals), ...fix.signature]),
        now,
        entryId,
      );
  }

  insertOutcome(entryId: number, fix: FixRecord, now: string): void {
    // Idempotent: a learn step re-run after a crash records the same outcome once.
    this.db
      .prepare(
        `INSERT OR IGNORE INTO memory_outcomes
           (entry_id, incident_id, action, outcome, target_kind, verification_json, recorded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        entryId,
        fix.incidentId,
        fix.action,
        fix.outcome,
        fix.targetKind,
        JSON.stringify(fix.verification ?? []),
        now,
      );
  }

  // --- chunks and their indexes ---

  insertChunk(entryId: number, section: string, text: string, vector: Float32Array): void {
    const info = this.stmt(
      "INSERT INTO memory_chunks (entry_id, section, text, embedder, dimension) VALUES (?, ?, ?, ?, ?)",
    ).run(entryId, section, text, this.embedder.id, this.embedder.dimension);
    const id = Number(info.lastInsertRowid);
    this.stmt("INSERT INTO memory_fts (rowid, text) VALUES (?, ?)").run(id, ftsDocument(text));
    this.putVector(id, vector);
  }

  deleteChunks(entryId: number): void {
    const ids = this.db.prepare("SELECT id FROM memory_chunks WHERE entry_id = ?").all(entryId) as Array<{
      id: number;
    }>;
    for (const { id } of ids) {
      this.db.prepare("DELETE FROM memory_fts WHERE rowid = ?").run(id);
      this.stmt("DELETE FROM memory_vec WHERE rowid = ?").run(BigInt(id));
    }
    this.db.prepare("DELETE FROM memory_chunks WHERE entry_id = ?").run(entryId);
  }

  private putVector(chunkId: number, vector: Float32Array): void {
    if (vector.length !== this.embedder.dimension) {
      throw new Error(`embedder ${this.embedder.id} returned ${vector.length} dimensions`);
    }
    this.stmt("DELETE FROM memory_vec WHERE rowid = ?").run(BigInt(chunkId));
    this.stmt("INSERT INTO memory_vec (rowid, embedding) VALUES (?, ?)").run(BigInt(chunkId), vector);
    this.stmt("UPDATE memory_chunks SET embedder = ?, dimension = ? WHERE id = ?").run(
      this.embedder.id,
      this.embedder.dimension,
      chunkId,
    );
  }

  // --- reads for ranking ---

  /** The `k` chunks nearest to `vector`. */
  vectorCandidates(vector: Float32Array, k: number): VectorCandidate[] {
    const rows = this.stmt(
      "SELECT rowid AS id, distance FROM memory_vec WHERE embedding MATCH ? AND k = ?",
    ).all(vector, k) as Array<{ id: number | bigint; distance: number }>;
    return rows.map((r) => ({ id: Number(r.id), distance: r.distance }));
  }

  /** The `k` best full-text matches of an FTS5 query. */
  textCandidates(match: string, k: number): TextCandidate[] {
    const rows = this.stmt(
      "SELECT rowid AS id, bm25(memory_fts) AS s FROM memory_fts WHERE memory_fts MATCH ? ORDER BY s LIMIT ?",
    ).all(match, k) as Array<{ id: number | bigint; s: number }>;
    return rows.map((r) => ({ id: Number(r.id), s: r.s }));
  }

  chunks(ids: readonly number[]): Array<{ id: number; entry_id: number; section: string }> {
    if (ids.length === 0) return [];
    return this.db
      .prepare(`SELECT id, entry_id, section FROM memory_chunks WHERE id IN (${ids.join(",")})`)
      .all() as Array<{ id: number; entry_id: number; section: string }>;
  }

  /** The cheap columns the ranker scores every candidate on. */
  matchColumns(
    ids: readonly number[],
  ): Array<Pick<EntryRow, "id" | "alert_names" | "services" | "signals" | "target_kinds">> {
    if (ids.length === 0) return [];
    return this.db
      .prepare(
        `SELECT id, alert_names, services, signals, target_kinds FROM memory_entries WHERE id IN (${ids.join(",")})`,
      )
      .all() as Array<Pick<EntryRow, "id" | "alert_names" | "services" | "signals" | "target_kinds">>;
  }

  entryRows(ids: readonly number[]): EntryRow[] {
    if (ids.length === 0) return [];
    return this.db.prepare(`SELECT * FROM memory_entries WHERE id IN (${ids.join(",")})`).all() as EntryRow[];
  }

  outcomesOf(entryIds: readonly number[]): Map<number, OutcomeRow[]> {
    const out = new Map<number, OutcomeRow[]>();
    if (entryIds.length === 0) return out;
    const rows = this.db
      .prepare(`SELECT * FROM memory_outcomes WHERE entry_id IN (${entryIds.join(",")}) ORDER BY id`)
      .all() as OutcomeRow[];
    for (const r of rows) out.set(r.entry_id, [...(out.get(r.entry_id) ?? []), r]);
    return out;
  }

  /** The remembered incident nearest to `vector` that used `action` on `targetKind`, if any. */
  nearestIncident(
    vector: Float32Array,
    action: ActionId,
    targetKind: string,
  ): { entryId: number; key: string; similarity: number } | undefined {
    const rows = this.db
      .prepare("SELECT rowid AS id, distance FROM memory_vec WHERE embedding MATCH ? AND k = ?")
      .all(vector, 20) as Array<{ id: number | bigint; distance: number }>;
    for (const r of rows) {
      const row = this.db
        .prepare(
          `SELECT e.id, e.key, e.actions_json, e.target_kinds FROM memory_chunks c JOIN memory_entries e ON e.id = c.entry_id
           WHERE c.id = ? AND e.kind = 'incident'`,
        )
        .get(Number(r.id)) as
        { id: number; key: string; actions_json: string; target_kinds: string } | undefined;
      if (!row) continue;
      const actions = JSON.parse(row.actions_json) as string[];
      if (actions[0] !== action || !words(row.target_kinds).includes(targetKind.toLowerCase())) continue;
      return { entryId: row.id, key: row.key, similarity: 1 - r.distance };
    }
    return undefined;
  }

  // --- listing ---

  /** Every entry, runbooks first, by key. */
  list(): MemoryEntry[] {
    const rows = this.db.prepare("SELECT * FROM memory_entries ORDER BY kind DESC, key").all() as EntryRow[];
    return this.entriesFrom(rows);
  }

  /** One entry by key, or undefined. */
  show(key: string): MemoryEntry | undefined {
    const rows = this.db.prepare("SELECT * FROM memory_entries WHERE key = ?").all(key) as EntryRow[];
    return this.entriesFrom(rows)[0];
  }

  private entriesFrom(rows: EntryRow[]): MemoryEntry[] {
    const outcomes = this.outcomesOf(rows.map((r) => r.id));
    return rows.map((e) => ({
      key: e.key,
      kind: e.kind,
      title: e.title,
      scenario: e.scenario,
      actions: JSON.parse(e.actions_json) as ActionId[],
      alertNames: words(e.alert_names),
      services: words(e.services),
      signals: words(e.signals),
      targetKinds: words(e.target_kinds),
      source: e.source,
      content: e.content,
      createdAt: e.created_at,
      updatedAt: e.updated_at,
      outcomes: (outcomes.get(e.id) ?? []).map((o) => ({
        incidentId: o.incident_id,
        action: o.action,
        outcome: o.outcome,
        recordedAt: o.recorded_at,
        verification: o.verification_json ? (JSON.parse(o.verification_json) as string[]) : [],
      })),
      sections: (
        this.db
          .prepare("SELECT section FROM memory_chunks WHERE entry_id = ? ORDER BY id")
          .all(e.id) as Array<{
          section: string;
        }>
      ).map((s) => s.section),
    }));
  }

  // --- meta ---

  meta(): { embedder?: string; dimension?: string; legacy_fixes_imported?: string } {
    const rows = this.db.prepare("SELECT key, value FROM memory_meta").all() as Array<{
      key: string;
      value: string;
    }>;
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  setMeta(key: string, value: string): void {
    this.db
      .prepare(
        "INSERT INTO memory_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      )
      .run(key, value);
  }

  /** Prepared once per SQL text (the hot paths run per query and per chunk). */
  private stmt(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }
}
