import { createHash } from "node:crypto";
import type { Statement as SqliteStatement } from "better-sqlite3";
import * as sqliteVec from "sqlite-vec";
import type { ActionId } from "../../core/catalog.ts";
import type { Db } from "../../store/db.ts";
import type { Embedder } from "./embedder.ts";
import type {
  FixMemory,
  FixRecord,
  MemoryHit,
  PastFix,
  RecallQuery,
  Recollection,
  RecordResult,
} from "./fixMemory.ts";
import { ftsDocument, ftsQuery } from "./ftsQuery.ts";
import type { Runbook } from "./runbookParser.ts";
import { contentTokens } from "./textFeatures.ts";

type Statement = SqliteStatement<unknown[]>;

/** Tuning of retrieval and learning. */
export interface MemoryOptions {
  /** Age at which an outcome counts half (days). */
  halfLifeDays: number;
  /** Cosine similarity above which a new outcome joins an existing incident entry. */
  mergeSimilarity: number;
  /** Incident entries below this similarity do not weigh in on actions. */
  minFixSimilarity: number;
  /** Candidates fetched from each index before fusion. */
  candidates: number;
  now: () => Date;
}

const DEFAULTS: MemoryOptions = {
  halfLifeDays: 30,
  mergeSimilarity: 0.9,
  minFixSimilarity: 0.35,
  candidates: 50,
  now: () => new Date(),
};

/**
 * How much a match in each runbook section counts. Symptoms and the summary describe the failure itself;
 * "Tell it apart from" and "Do not" name look-alikes and other families, so a match there is weaker evidence.
 */
const SECTION_WEIGHT: Record<string, number> = {
  Summary: 1,
  Symptoms: 1,
  "Whole runbook": 0.95,
  "Evidence to gather": 0.85,
  Action: 0.85,
  Verify: 0.75,
  "Tell it apart from": 0.6,
  "Rollback / if it does not work": 0.6,
  "Do not": 0.5,
};
const sectionWeight = (section: string) => SECTION_WEIGHT[section] ?? 1;

/** Weights of the fused score; the exact matches are bonuses on top of the two similarity lists. */
const FUSION = {
  vector: 0.65,
  text: 0.2,
  alert: 0.12,
  service: 0.05,
  targetKind: 0.03,
  signals: 0.1,
} as const;

interface EntryRow {
  id: number;
  key: string;
  kind: "runbook" | "incident";
  scenario: string | null;
  title: string;
  actions_json: string;
  alert_names: string;
  services: string;
  signals: string;
  target_kinds: string;
  source: string | null;
  content: string;
  created_at: string;
  updated_at: string;
}

interface OutcomeRow {
  entry_id: number;
  incident_id: string;
  action: string;
  outcome: "verified" | "failed";
  recorded_at: string;
  verification_json: string | null;
}

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

/** What an import did. */
export interface ImportResult {
  added: string[];
  updated: string[];
  unchanged: string[];
}

const words = (s: string) => s.split(" ").filter(Boolean);
const joinWords = (xs: readonly string[] | undefined) =>
  [...new Set((xs ?? []).map((x) => x.toLowerCase().replace(/\s+/g, "_")))].join(" ");

/**
 * Runbook memory in SQLite: entries (runbooks and remembered incidents) split into chunks, each chunk in a
 * `sqlite-vec` table (vectors) and an FTS5 table (BM25). Recall fuses both with exact matches on alert
 * name, service, target kind and signals. Same database as the incidents.
 */
export class SqliteRunbookMemory implements FixMemory {
  private readonly opts: MemoryOptions;
  private readonly statements = new Map<string, Statement>();

  private constructor(
    private readonly db: Db,
    readonly embedder: Embedder,
    opts: Partial<MemoryOptions>,
  ) {
    this.opts = { ...DEFAULTS, ...opts };
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
    const memory = new SqliteRunbookMemory(db, embedder, opts);
    await memory.syncEmbedder();
    return memory;
  }

  /** Re-embed everything when the embedder (model, dimension or vocabulary) is not the one that made the vectors. */
  private async syncEmbedder(): Promise<void> {
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
      this.db.transaction(() => {
        batch.forEach((c, j) => this.putVector(c.id, vectors[j]!));
      })();
    }
    this.db.transaction(() => {
      this.setMeta("embedder", this.embedder.id);
      this.setMeta("dimension", String(this.embedder.dimension));
    })();
  }

  /**
   * Bring in the fixes the first fix store kept (`learned_fixes`: symptom signatures only), once per
   * database. Returns how many rows were brought in.
   */
  async importLegacyFixes(): Promise<number> {
    if (this.meta().legacy_fixes_imported) return 0;
    const rows = this.db
      .prepare(
        "SELECT incident_id, signature, family, action, outcome, target_kind FROM learned_fixes ORDER BY id",
      )
      .all() as Array<{
      incident_id: string;
      signature: string;
      family: string | null;
      action: ActionId;
      outcome: "verified" | "failed";
      target_kind: string;
    }>;
    for (const r of rows) {
      const signature = JSON.parse(r.signature) as string[];
      await this.record({
        incidentId: r.incident_id,
        signature,
        family: r.family,
        action: r.action,
        outcome: r.outcome,
        targetKind: r.target_kind,
        text: signature.map((t) => t.replace(/_/g, " ")).join("\n"),
      });
    }
    this.setMeta("legacy_fixes_imported", new Date().toISOString());
    return rows.length;
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

  /** Add or update runbooks (unchanged files are skipped: nothing is re-embedded). */
  async importRunbooks(runbooks: readonly Runbook[]): Promise<ImportResult> {
    const result: ImportResult = { added: [], updated: [], unchanged: [] };
    const pending: Array<{ rb: Runbook; hash: string; existing: number | undefined }> = [];
    for (const rb of runbooks) {
      const hash = sha(rb.markdown);
      const row = this.db.prepare("SELECT id, content_hash FROM memory_entries WHERE key = ?").get(rb.id) as
        { id: number; content_hash: string } | undefined;
      if (row?.content_hash === hash) result.unchanged.push(rb.id);
      else pending.push({ rb, hash, existing: row?.id });
    }
    const chunkTexts = pending.map(({ rb }) => runbookChunks(rb));
    const vectors = await this.embedder.embed(chunkTexts.flat().map((c) => c.text));
    let v = 0;
    const now = this.opts.now().toISOString();
    this.db.transaction(() => {
      pending.forEach(({ rb, hash, existing }, i) => {
        const fields = {
          kind: "runbook",
          scenario: rb.id,
          title: rb.title,
          actions_json: JSON.stringify(rb.actions),
          alert_names: joinWords(rb.alerts),
          services: "",
          signals: joinWords(rb.signals),
          target_kinds: joinWords(rb.platforms),
          source: rb.file,
          content: rb.markdown,
          content_hash: hash,
        };
        let id: number;
        if (existing !== undefined) {
          this.deleteChunks(existing);
          this.db
            .prepare(
              `UPDATE memory_entries SET scenario = @scenario, title = @title, actions_json = @actions_json,
               alert_names = @alert_names, signals = @signals, target_kinds = @target_kinds, source = @source,
               content = @content, content_hash = @content_hash, updated_at = @now WHERE id = @id`,
            )
            .run({ ...fields, now, id: existing });
          id = existing;
          result.updated.push(rb.id);
        } else {
          id = this.insertEntry(rb.id, fields, now);
          result.added.push(rb.id);
        }
        for (const chunk of chunkTexts[i]!) this.insertChunk(id, chunk.section, chunk.text, vectors[v++]!);
      });
    })();
    return result;
  }

  async record(fix: FixRecord): Promise<RecordResult> {
    const text = fix.text?.trim() || fix.signature.join(" ");
    const [vector] = await this.embedder.embed([text]);
    const similar = this.nearestIncident(vector!, fix.action, fix.targetKind);
    const now = this.opts.now().toISOString();
    return this.db.transaction((): RecordResult => {
      let entryId: number;
      let key: string;
      const merged = similar !== undefined && similar.similarity >= this.opts.mergeSimilarity;
      if (merged) {
        entryId = similar.entryId;
        key = similar.key;
        // The entry also answers to the new incident's alert names and services from now on.
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
      } else {
        key = `incident:${fix.incidentId}:${fix.action}`;
        const existing = this.db.prepare("SELECT id FROM memory_entries WHERE key = ?").get(key) as
          { id: number } | undefined;
        if (existing) entryId = existing.id;
        else {
          entryId = this.insertEntry(
            key,
            {
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
            },
            now,
          );
          this.insertChunk(entryId, "incident", text, vector!);
        }
      }
      this.insertOutcome(entryId, fix, now);
      return { entry: key, merged };
    })();
  }

  /**
   * Load many remembered incidents at once (restoring an export, benchmarks): one transaction, no merging.
   * Use `record` for outcomes as they happen.
   */
  async loadIncidents(fixes: readonly FixRecord[]): Promise<number> {
    const texts = fixes.map((f) => f.text?.trim() || f.signature.join(" "));
    const vectors = await this.embedder.embed(texts);
    const now = this.opts.now().toISOString();
    this.db.transaction(() => {
      fixes.forEach((fix, i) => {
        const key = `incident:${fix.incidentId}:${fix.action}`;
        const id = this.insertEntry(
          key,
          {
            kind: "incident",
            scenario: fix.family,
            title: incidentTitle(fix),
            actions_json: JSON.stringify([fix.action]),
            alert_names: joinWords(fix.alertNames),
            services: joinWords(fix.services),
            signals: joinWords(fix.signature),
            target_kinds: joinWords([fix.targetKind]),
            source: fix.incidentId,
            content: texts[i]!,
            content_hash: sha(texts[i]!),
          },
          now,
        );
        this.insertChunk(id, "incident", texts[i]!, vectors[i]!);
        this.insertOutcome(id, fix, now);
      });
    })();
    return fixes.length;
  }

  async recall(query: RecallQuery, limit = 5): Promise<Recollection> {
    const [vector] = await this.embedder.embed([query.text]);
    const hits = this.rank(query, vector!, Math.max(limit, 10));
    return { hits: hits.slice(0, limit), fixes: this.fixesFrom(hits) };
  }

  /** Ranked hits for a typed query (`aegis runbook search`). */
  async search(text: string, limit = 5): Promise<MemoryHit[]> {
    return (await this.recall({ text }, limit)).hits;
  }

  /** Every entry, newest change first. */
  list(): MemoryEntry[] {
    const rows = this.db.prepare("SELECT * FROM memory_entries ORDER BY kind DESC, key").all() as EntryRow[];
    return this.entriesFrom(rows);
  }

  /** One entry by key, or undefined. */
  show(key: string): MemoryEntry | undefined {
    const rows = this.db.prepare("SELECT * FROM memory_entries WHERE key = ?").all(key) as EntryRow[];
    return this.entriesFrom(rows)[0];
  }

  // --- ranking ---

  private rank(query: RecallQuery, vector: Float32Array, limit: number): MemoryHit[] {
    const k = this.opts.candidates;
    const vecRows = this.stmt(
      "SELECT rowid AS id, distance FROM memory_vec WHERE embedding MATCH ? AND k = ?",
    ).all(vector, k) as Array<{ id: number | bigint; distance: number }>;
    const match = ftsQuery(query.text);
    const ftsRows = match
      ? (this.stmt(
          "SELECT rowid AS id, bm25(memory_fts) AS s FROM memory_fts WHERE memory_fts MATCH ? ORDER BY s LIMIT ?",
        ).all(match, k) as Array<{ id: number | bigint; s: number }>)
      : [];

    const chunkIds = [...new Set([...vecRows, ...ftsRows].map((r) => Number(r.id)))];
    if (chunkIds.length === 0) return [];
    const chunkRows = this.db
      .prepare(`SELECT id, entry_id, section FROM memory_chunks WHERE id IN (${chunkIds.join(",")})`)
      .all() as Array<{ id: number; entry_id: number; section: string }>;
    const chunkOf = new Map(chunkRows.map((c) => [c.id, c]));

    const perEntry = new Map<
      number,
      { vec: number; vecSection: string | null; text: number; textSection: string | null }
    >();
    const slot = (entryId: number) => {
      let s = perEntry.get(entryId);
      if (!s) perEntry.set(entryId, (s = { vec: 0, vecSection: null, text: 0, textSection: null }));
      return s;
    };
    for (const r of vecRows) {
      const c = chunkOf.get(Number(r.id));
      if (!c) continue;
      const sim = Math.max(0, 1 - r.distance) * sectionWeight(c.section);
      const s = slot(c.entry_id);
      if (sim > s.vec) {
        s.vec = sim;
        s.vecSection = c.section;
      }
    }
    // bm25 is negative (lower is better); scale by the best of this query so it lands in 0..1.
    const best = Math.min(0, ...ftsRows.map((r) => r.s));
    for (const r of ftsRows) {
      const c = chunkOf.get(Number(r.id));
      if (!c || best === 0) continue;
      const norm = (r.s / best) * sectionWeight(c.section);
      const s = slot(c.entry_id);
      if (norm > s.text) {
        s.text = norm;
        s.textSection = c.section;
      }
    }

    // Score every candidate on the cheap columns; read the rest (content, outcomes) for the top ones only.
    const ids = [...perEntry.keys()];
    const candidates = this.db
      .prepare(
        `SELECT id, alert_names, services, signals, target_kinds FROM memory_entries WHERE id IN (${ids.join(",")})`,
      )
      .all() as Array<Pick<EntryRow, "id" | "alert_names" | "services" | "signals" | "target_kinds">>;
    const qAlerts = new Set((query.alertNames ?? []).map((a) => a.toLowerCase()));
    const qServices = new Set((query.services ?? []).map((a) => a.toLowerCase()));
    const qSignals = new Set(query.signals ?? []);
    const qKind = query.targetKind?.toLowerCase();

    const scored = candidates.map((e) => {
      const s = perEntry.get(e.id)!;
      const exact: string[] = [];
      let score = FUSION.vector * s.vec + FUSION.text * s.text;
      const alertHit = words(e.alert_names).filter((a) => qAlerts.has(a));
      if (alertHit.length) {
        score += FUSION.alert;
        exact.push(`alert name ${alertHit.join(", ")}`);
      }
      const serviceHit = words(e.services).filter((a) => qServices.has(a));
      if (serviceHit.length) {
        score += FUSION.service;
        exact.push(`service ${serviceHit.join(", ")}`);
      }
      if (qKind && matchesKind(words(e.target_kinds), qKind)) {
        score += FUSION.targetKind;
        exact.push(`target kind ${qKind}`);
      }
      const sigHit = words(e.signals).filter((x) => qSignals.has(x));
      if (sigHit.length) {
        score += (FUSION.signals * sigHit.length) / Math.max(qSignals.size, 1);
        exact.push(`signals ${sigHit.join(", ")}`);
      }
      return { id: e.id, score, exact, s };
    });
    scored.sort((a, b) => b.score - a.score || a.id - b.id);
    const top = scored.slice(0, limit);
    if (top.length === 0) return [];

    const rows = new Map(
      (
        this.db
          .prepare(`SELECT * FROM memory_entries WHERE id IN (${top.map((t) => t.id).join(",")})`)
          .all() as EntryRow[]
      ).map((r) => [r.id, r]),
    );
    const outcomes = this.outcomesOf(
      [...rows.values()].filter((e) => e.kind === "incident").map((e) => e.id),
    );
    const qTokens = new Set(contentTokens(query.text));
    return top.map(({ id, score, exact, s }) => {
      const e = rows.get(id)!;
      const reasons: string[] = [];
      if (s.vec > 0) reasons.push(`vector similarity ${s.vec.toFixed(2)} (${s.vecSection})`);
      if (s.text > 0) {
        const shared = sharedTerms(qTokens, e.content);
        reasons.push(
          `full-text ${s.text.toFixed(2)} (${s.textSection})${shared.length ? `: ${shared.join(", ")}` : ""}`,
        );
      }
      reasons.push(...exact);
      const actions = JSON.parse(e.actions_json) as ActionId[];
      const o = summarise(outcomes.get(e.id) ?? [], this.opts);
      if (e.kind === "incident")
        reasons.push(`past fix ${actions[0]}: ${o.verified} verified, ${o.failed} failed`);
      return {
        key: e.key,
        kind: e.kind,
        title: e.title,
        scenario: e.scenario,
        score: round(score),
        similarity: round(s.vec),
        reasons,
        actions,
        verified: o.verified,
        failed: o.failed,
        evidence: round(o.evidence),
        section: s.vecSection ?? s.textSection,
      };
    });
  }

  /** Per action, what similar remembered incidents say about it (decayed). */
  private fixesFrom(hits: readonly MemoryHit[]): PastFix[] {
    const byAction = new Map<ActionId, PastFix & { weight: number }>();
    for (const h of hits) {
      if (h.kind !== "incident" || h.similarity < this.opts.minFixSimilarity) continue;
      const action = h.actions[0]!;
      const f = byAction.get(action) ?? {
        action,
        verified: 0,
        failed: 0,
        similarity: 0,
        source: "incident" as const,
        evidence: 0,
        family: h.scenario,
        refs: [],
        weight: 0,
      };
      f.verified += h.verified;
      f.failed += h.failed;
      // Evidence of more similar entries counts more.
      f.weight += h.similarity;
      f.evidence = (f.evidence! * (f.weight - h.similarity) + h.evidence * h.similarity) / f.weight;
      f.similarity = Math.max(f.similarity, h.similarity);
      f.refs!.push(h.key);
      byAction.set(action, f);
    }
    return [...byAction.values()]
      .map(({ weight: _w, ...f }) => ({ ...f, evidence: round(f.evidence!) }))
      .sort((x, y) => y.similarity - x.similarity || y.verified - x.verified);
  }

  private nearestIncident(
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

  // --- storage helpers ---

  /** Prepared once per SQL text (the hot paths run per query and per chunk). */
  private stmt(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  private insertEntry(key: string, f: Record<string, string | null>, now: string): number {
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

  private insertOutcome(entryId: number, fix: FixRecord, now: string): void {
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

  private insertChunk(entryId: number, section: string, text: string, vector: Float32Array): void {
    const info = this.stmt(
      "INSERT INTO memory_chunks (entry_id, section, text, embedder, dimension) VALUES (?, ?, ?, ?, ?)",
    ).run(entryId, section, text, this.embedder.id, this.embedder.dimension);
    const id = Number(info.lastInsertRowid);
    this.stmt("INSERT INTO memory_fts (rowid, text) VALUES (?, ?)").run(id, ftsDocument(text));
    this.putVector(id, vector);
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

  private deleteChunks(entryId: number): void {
    const ids = this.db.prepare("SELECT id FROM memory_chunks WHERE entry_id = ?").all(entryId) as Array<{
      id: number;
    }>;
    for (const { id } of ids) {
      this.db.prepare("DELETE FROM memory_fts WHERE rowid = ?").run(id);
      this.stmt("DELETE FROM memory_vec WHERE rowid = ?").run(BigInt(id));
    }
    this.db.prepare("DELETE FROM memory_chunks WHERE entry_id = ?").run(entryId);
  }

  private outcomesOf(entryIds: readonly number[]): Map<number, OutcomeRow[]> {
    const out = new Map<number, OutcomeRow[]>();
    if (entryIds.length === 0) return out;
    const rows = this.db
      .prepare(`SELECT * FROM memory_outcomes WHERE entry_id IN (${entryIds.join(",")}) ORDER BY id`)
      .all() as OutcomeRow[];
    for (const r of rows) out.set(r.entry_id, [...(out.get(r.entry_id) ?? []), r]);
    return out;
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

  private meta(): { embedder?: string; dimension?: string; legacy_fixes_imported?: string } {
    const rows = this.db.prepare("SELECT key, value FROM memory_meta").all() as Array<{
      key: string;
      value: string;
    }>;
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  private setMeta(key: string, value: string): void {
    this.db
      .prepare(
        "INSERT INTO memory_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      )
      .run(key, value);
  }
}

/** Load sqlite-vec once per connection. */
export function loadVec(db: Db): void {
  try {
    db.prepare("SELECT vec_version()").get();
  } catch {
    sqliteVec.load(db);
  }
}

/** Chunks of a runbook: one per section, each led by the runbook's id and title so it stands alone. */
export function runbookChunks(rb: Runbook): Array<{ section: string; text: string }> {
  const head = `${rb.title} (${rb.id}). Signals: ${rb.signals.join(", ")}.${rb.alerts.length ? ` Alerts: ${rb.alerts.join(", ")}.` : ""}`;
  const sections = rb.sections.map((s) => ({ section: s.heading, text: `${head}\n${s.heading}: ${s.text}` }));
  // The whole runbook as one more chunk: a match spread over several sections still scores as one topic.
  const whole = rb.sections.map((s) => `${s.heading}: ${s.text}`).join("\n");
  return [...sections, { section: "Whole runbook", text: `${head}\n${whole}` }];
}

function incidentTitle(fix: FixRecord): string {
  const verb = fix.outcome === "verified" ? "fixed" : "did not fix";
  const what = fix.alertNames?.length ? fix.alertNames.join(", ") : fix.signature.join(", ") || "incident";
  return `${fix.action} ${verb} ${what}${fix.family ? ` (${fix.family})` : ""} on ${fix.targetKind}`;
}

function summarise(
  rows: readonly OutcomeRow[],
  opts: MemoryOptions,
): { verified: number; failed: number; evidence: number } {
  const now = opts.now().getTime();
  let wv = 0;
  let wf = 0;
  let verified = 0;
  let failed = 0;
  for (const r of rows) {
    const ageDays = Math.max(0, now - Date.parse(r.recorded_at)) / 86_400_000;
    const w = 0.5 ** (ageDays / opts.halfLifeDays);
    if (r.outcome === "verified") {
      verified++;
      wv += w;
    } else {
      failed++;
      wf += w;
    }
  }
  return { verified, failed, evidence: (wv - wf) / Math.max(1, wv + wf) };
}

function matchesKind(kinds: readonly string[], qKind: string): boolean {
  if (kinds.includes(qKind)) return true;
  if (qKind.startsWith("docker")) return kinds.includes("docker");
  if (qKind.startsWith("k8s")) return kinds.includes("kubernetes");
  return false;
}

function sharedTerms(qTokens: ReadonlySet<string>, content: string): string[] {
  const out = new Set<string>();
  for (const t of contentTokens(content)) {
    if (t.length > 2 && qTokens.has(t) && !/^\d{1,2}$/.test(t)) out.add(t);
    if (out.size >= 6) break;
  }
  return [...out];
}

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const round = (n: number) => Math.round(n * 1000) / 1000;
