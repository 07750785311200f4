import type { FixJournal, JournalRow } from "../../runbooks/memory/sharedFixMemory.ts";
import type { FixRecord } from "../../runbooks/memory/fixMemory.ts";
import { inTransaction, withMigrationLock, type PgPool } from "./pool.ts";

/**
 * What replicas learned (the learn step's verified and failed outcomes), as one append-only table every replica
 * reads in order. Like the LangGraph checkpointer's tables, it is created on open (under the migration lock), so
 * the numbered migrations stay the same on both stores. One row per incident, action and outcome: a run taken
 * over after a crash that learns the same outcome again adds nothing.
 */
export class PgFixJournal implements FixJournal {
  private constructor(private readonly pool: PgPool) {}

  static async open(pool: PgPool): Promise<PgFixJournal> {
    await withMigrationLock(pool, () =>
      pool.query(`CREATE TABLE IF NOT EXISTS shared_fixes (
        id BIGSERIAL PRIMARY KEY,
        incident_id TEXT NOT NULL,
        action TEXT NOT NULL,
        outcome TEXT NOT NULL,
        record JSONB NOT NULL,
        replica TEXT,
        recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        UNIQUE (incident_id, action, outcome)
      )`),
    );
    return new PgFixJournal(pool);
  }

  async append(fix: FixRecord, replica: string): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      // Appends one at a time, so ids become visible in order: a reader that saw id N has seen every id below
      // it (else a replica whose id was handed out first but committed last would be skipped for good).
      // Learning happens once per incident, so the wait costs nothing that matters.
      await c.query("LOCK TABLE shared_fixes IN SHARE ROW EXCLUSIVE MODE");
      await c.query(
        `INSERT INTO shared_fixes (incident_id, action, outcome, record, replica) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (incident_id, action, outcome) DO NOTHING`,
        [fix.incidentId, fix.action, fix.outcome, JSON.stringify(fix), replica],
      );
    });
  }

  async since(afterId: number, limit: number): Promise<JournalRow[]> {
    const { rows } = await this.pool.query<{ id: string; record: FixRecord }>(
      "SELECT id, record FROM shared_fixes WHERE id > $1 ORDER BY id LIMIT $2",
      [afterId, limit],
    );
    return rows.map((r) => ({ id: Number(r.id), fix: r.record }));
  }
}
