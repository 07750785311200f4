import { postgresUnavailable, startTestPostgres } from "../test/helpers/postgres.ts";
import type { BenchRow } from "./report.ts";

const labelled = (rows: BenchRow[], store: string) =>
  rows.map((r) => ({ ...r, name: `${r.name} [${store}]` }));

/**
 * One bench on SQLite, and beside it on PostgreSQL (a throwaway local cluster, as the tests start one, given
 * its database URL): rows labelled by store. PostgreSQL is skipped when `postgres` is false, or when it
 * cannot run here (said on stderr).
 */
export async function benchByStore(
  bench: string,
  postgres: boolean | undefined,
  onSqlite: () => Promise<BenchRow[]>,
  onPostgres: (url: string) => Promise<BenchRow[]>,
): Promise<BenchRow[]> {
  const rows = labelled(await onSqlite(), "sqlite");
  const why = postgresUnavailable();
  if (postgres === false || why) {
    if (why) console.error(`${bench} bench: PostgreSQL skipped: ${why}`);
    return rows;
  }
  const server = await startTestPostgres();
  try {
    return [...rows, ...labelled(await onPostgres(await server.newDatabase()), "postgres")];
  } finally {
    server.stop();
  }
}
