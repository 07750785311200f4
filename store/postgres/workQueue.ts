import type { WorkQueue } from "../workQueue.ts";
import type { PgPool } from "./pool.ts";

/**
 * The shared work queue on PostgreSQL: claims use `FOR UPDATE SKIP LOCKED`, so replicas polling together
 * never claim the same entry and never wait on each other; leases are timestamps of the database's clock,
 * so replicas' clocks need not agree.
 */
export class PgWorkQueue implements WorkQueue {
  constructor(
    private readonly pool: PgPool,
    private readonly owner: string,
    private readonly leaseMs: number,
  ) {}

  async claim(n: number): Promise<string[]> {
    if (n <= 0) return [];
    const { rows } = await this.pool.query<{ incident_id: string }>(
      `UPDATE work_queue SET owner = $1, lease_until = now() + $2 * interval '1 millisecond', attempts = attempts + 1
       WHERE incident_id IN (
         SELECT incident_id FROM work_queue
         WHERE available_at <= now() AND (lease_until IS NULL OR lease_until < now())
         ORDER BY enqueued_at, incident_id LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING incident_id`,
      [this.owner, this.leaseMs, n],
    );
    return rows.map((r) => r.incident_id);
  }

  async claimOne(id: string): Promise<boolean> {
    const { rows } = await this.pool.query(
      `INSERT INTO work_queue (incident_id, owner, lease_until, attempts)
       VALUES ($1, $2, now() + $3 * interval '1 millisecond', 1)
       ON CONFLICT (incident_id) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until,
         attempts = work_queue.attempts + 1
       WHERE work_queue.owner = excluded.owner OR work_queue.lease_until IS NULL OR work_queue.lease_until < now()
       RETURNING incident_id`,
      [id, this.owner, this.leaseMs],
    );
    return rows.length === 1;
  }

  async renew(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query<{ incident_id: string }>(
      `UPDATE work_queue SET lease_until = now() + $2 * interval '1 millisecond'
       WHERE owner = $1 AND incident_id = ANY($3) RETURNING incident_id`,
      [this.owner, this.leaseMs, [...ids]],
    );
    return rows.map((r) => r.incident_id);
  }

  async done(id: string): Promise<void> {
    await this.pool.query("DELETE FROM work_queue WHERE incident_id = $1 AND owner = $2", [id, this.owner]);
  }

  async abandon(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      "UPDATE work_queue SET owner = NULL, lease_until = NULL WHERE owner = $1 AND incident_id = ANY($2)",
      [this.owner, [...ids]],
    );
  }

  async releaseDead(owner: string): Promise<number> {
    const { rowCount } = await this.pool.query(
      "UPDATE work_queue SET owner = NULL, lease_until = NULL WHERE owner = $1",
      [owner],
    );
    return rowCount ?? 0;
  }

  async requeueOrphans(): Promise<number> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO work_queue (incident_id, enqueued_at)
       SELECT id, now() FROM incidents WHERE active = 1 AND status <> 'awaiting_approval'
       ON CONFLICT (incident_id) DO NOTHING`,
    );
    return rowCount ?? 0;
  }

  async depth(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      "SELECT COUNT(*)::int AS n FROM work_queue WHERE lease_until IS NULL OR lease_until < now()",
    );
    return rows[0]!.n;
  }
}
