import pg from "pg";
import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** The store matrix's PostgreSQL leg: a throwaway server's base URL (no database name); unset on SQLite. */
    postgresBaseUrl?: string;
  }
}

let n = 0;

/**
 * The environment that puts an AegisOps under test on this leg's store: on the PostgreSQL leg of the matrix
 * (vitest.config.ts, project `postgres`) a fresh database on the server test/helpers/postgresGlobalSetup.ts
 * started; on the default SQLite leg nothing (AEGIS_DB decides).
 */
export async function storeEnv(): Promise<Record<string, string>> {
  const base = inject("postgresBaseUrl");
  if (!base) return {};
  const name = `aegis_leg_${process.pid}_${++n}_${Date.now() % 1_000_000}`;
  const c = new pg.Client({ connectionString: `${base}/postgres` });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  return { AEGIS_DATABASE_URL: `${base}/${name}` };
}
