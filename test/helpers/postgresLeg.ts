import { inject } from "vitest";
import { createDatabase } from "./postgres.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The store matrix's PostgreSQL leg: a throwaway server's base URL (no database name); unset on SQLite. */
    postgresBaseUrl?: string;
  }
}

let n = 0;

/** How many databases this test file took from the leg (test/helpers/postgresLegCheck.ts checks it is not 0). */
export function databasesTaken(): number {
  return n;
}

/**
 * The environment that puts an AegisOps under test on this leg's store: on the PostgreSQL leg of the matrix
 * (vitest.config.ts, project `postgres`) a fresh database on the server test/helpers/postgresGlobalSetup.ts
 * started; on the default SQLite leg nothing (AEGIS_DB decides).
 */
export async function storeEnv(): Promise<Record<string, string>> {
  const base = inject("postgresBaseUrl");
  if (!base) return {};
  const name = `aegis_leg_${process.pid}_${++n}_${Date.now() % 1_000_000}`;
  return { AEGIS_DATABASE_URL: await createDatabase(base, name) };
}
