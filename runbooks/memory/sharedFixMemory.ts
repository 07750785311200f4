import type { Db } from "../../store/db.ts";
import type { FixMemory, FixRecord, RecallQuery, Recollection, RecordResult } from "./fixMemory.ts";

/** One learned outcome in the journal replicas share, with its place in the order. */
export interface JournalRow {
  id: number;
  fix: FixRecord;
}

/** An append-only, ordered log of learned outcomes shared by replicas (PostgreSQL: store/postgres/fixJournal.ts). */
export interface FixJournal {
  /** Append one outcome; the same incident, action and outcome appended again is ignored. */
  append(fix: FixRecord, replica: string): Promise<void>;
  /** Rows after `afterId`, in order: every row below the last one returned is visible once it is. */
  since(afterId: number, limit: number): Promise<JournalRow[]>;
}

const BATCH = 200;

/**
 * The runbook memory shared across replicas, behind the same FixMemory interface. Each replica keeps its own
 * local memory (vectors and full-text index in its SQLite file); what any replica learns goes into the shared
 * journal first, and every replica applies the journal to its local memory, in order, before it records or
 * recalls. A cursor in the local file (per journal) says how far it got, so a restart does not apply the journal
 * again. A crash between applying a row and moving the cursor applies that row again at the next catch-up, which
 * changes nothing: the local memory keeps one outcome per incident, action and outcome (memory_outcomes is
 * unique on them) and the remembered incident merges into its own entry.
 * When the journal cannot be reached, recall answers from what was applied so far (`onError` is told), and a
 * record that could not reach the journal is applied locally only.
 */
export class SharedFixMemory implements FixMemory {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly local: FixMemory,
    private readonly journal: FixJournal,
    private readonly opts: {
      /** This replica's local database: the cursor lives there. */
      db: Db;
      /** Which journal the cursor is for (e.g. the database URL without its password). */
      journalName: string;
      replica: string;
      onError?: (err: unknown, doing: string) => void;
    },
  ) {
    opts.db.exec(
      "CREATE TABLE IF NOT EXISTS shared_fix_cursor (journal TEXT PRIMARY KEY, last_id INTEGER NOT NULL)",
    );
  }

  async record(fix: FixRecord): Promise<RecordResult> {
    try {
      await this.journal.append(fix, this.opts.replica);
    } catch (err) {
      this.opts.onError?.(err, "appending a learned fix to the shared journal");
      return this.serialized(() => this.local.record(fix));
    }
    const results = await this.catchUp();
    const mine = results.find(
      (r) =>
        r.fix.incidentId === fix.incidentId && r.fix.action === fix.action && r.fix.outcome === fix.outcome,
    );
    // Not among the rows applied now: it was in the journal already (a run taken over after a crash learned it
    // again), and was applied when it first came.
    return mine?.result ?? { entry: `incident:${fix.incidentId}:${fix.action}`, merged: true };
  }

  async recall(query: RecallQuery, limit?: number): Promise<Recollection> {
    try {
      await this.catchUp();
    } catch (err) {
      this.opts.onError?.(err, "reading the shared journal of learned fixes");
    }
    return this.local.recall(query, limit);
  }

  /** Apply every journal row this replica has not applied yet, in order. Returns what was applied. */
  catchUp(): Promise<Array<{ fix: FixRecord; result: RecordResult }>> {
    return this.serialized(async () => {
      const applied: Array<{ fix: FixRecord; result: RecordResult }> = [];
      for (;;) {
        const rows = await this.journal.since(this.cursor(), BATCH);
        for (const row of rows) {
          applied.push({ fix: row.fix, result: await this.local.record(row.fix) });
          this.opts.db
            .prepare(
              `INSERT INTO shared_fix_cursor (journal, last_id) VALUES (?, ?)
               ON CONFLICT (journal) DO UPDATE SET last_id = excluded.last_id`,
            )
            .run(this.opts.journalName, row.id);
        }
        if (rows.length < BATCH) return applied;
      }
    });
  }

  private cursor(): number {
    const row = this.opts.db
      .prepare("SELECT last_id FROM shared_fix_cursor WHERE journal = ?")
      .get(this.opts.journalName) as { last_id: number } | undefined;
    return row?.last_id ?? 0;
  }

  /** One catch-up or local write at a time in this process: rows are applied once and in order. */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }
}
