import pg from "pg";
import { AegisError } from "../../core/errors.ts";
import { PG_MIGRATIONS } from "./migrations.ts";

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

/** Advisory lock classes (first key of the two-key form), so AegisOps' locks never collide with each other. */
export const LOCK_CLASS = { migrate: 7300, target: 7301, leader: 7302, incident: 7303 } as const;

/** SQLSTATEs worth running a transaction again for: serialization failure, deadlock, unique violation. */
const RETRYABLE = new Set(["40001", "40P01", "23505"]);

/**
 * Connect to PostgreSQL and bring the schema up to date. Replicas starting together migrate one at a time
 * (an advisory lock), so each migration runs once.
 */
export async function openPostgres(url: string, options: { max?: number } = {}): Promise<PgPool> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
  // An idle client losing its connection (the server restarted) must not crash the process: the pool replaces it.
  pool.on("error", () => {});
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end();
    throw new AegisError(
      "database_unavailable",
      `PostgreSQL at ${describeUrl(url)} could not be opened: ${(err as Error).message}`,
    );
  }
  return pool;
}

/** Run `fn` under the migration lock (so concurrent starts wait for one another's schema changes). */
export async function withMigrationLock<T>(pool: PgPool, fn: () => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query("SELECT pg_advisory_lock($1, 0)", [LOCK_CLASS.migrate]);
    try {
      return await fn();
    } finally {
      await c.query("SELECT pg_advisory_unlock($1, 0)", [LOCK_CLASS.migrate]);
    }
  } finally {
    c.release();
  }
}

async function migrate(pool: PgPool): Promise<void> {
  await withMigrationLock(pool, async () => {
    await pool.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    );
    const { rows } = await pool.query<{ version: number }>("SELECT version FROM schema_migrations");
    const applied = new Set(rows.map((r) => r.version));
    for (const m of PG_MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await inTransaction(pool, async (c) => {
        await c.query(m.sql);
        await c.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [
          m.version,
          new Date().toISOString(),
        ]);
      });
    }
  });
}

/**
 * Run `fn` in one transaction on one connection; run it again (up to 3 times) when PostgreSQL says a
 * concurrent transaction got in the way (serialization failure, deadlock, or a unique index another replica
 * filled first), so the caller sees the outcome of a clean run.
 */
export async function inTransaction<T>(pool: PgPool, fn: (c: PgClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const c = await pool.connect();
    try {
      await c.query("BEGIN");
      const out = await fn(c);
      await c.query("COMMIT");
      return out;
    } catch (err) {
      await c.query("ROLLBACK").catch(() => {});
      const code = (err as { code?: string }).code;
      if (attempt >= 3 || !code || !RETRYABLE.has(code)) throw err;
    } finally {
      c.release();
    }
  }
}

/** The URL without its password, for messages and logs. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(an unparsable URL)";
  }
}
