import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RecallQuery } from "../../runbooks/memory/fixMemory.ts";
import { SharedFixMemory } from "../../runbooks/memory/sharedFixMemory.ts";
import { PgFixJournal } from "../../store/postgres/fixJournal.ts";
import { openPostgres, type PgPool } from "../../store/postgres/pool.ts";
import { postgresUnavailable, startTestPostgres, type TestPostgres } from "../helpers/postgres.ts";
import { checkout5xx, openTestMemory, tempDir } from "./helpers.ts";

/**
 * Two replicas' runbook memories (each its own SQLite file, as each replica keeps one) sharing what they learn
 * through one PostgreSQL journal.
 */
const noPostgres = postgresUnavailable();
if (noPostgres) console.log(`[shared runbook memory] skipping: ${noPostgres}`);

let server: TestPostgres | undefined;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  if (!noPostgres) server = await startTestPostgres();
}, 60_000);
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
afterAll(() => server?.stop());

const QUERY: RecallQuery = {
  text: "checkout is answering 500 again, logs say pg pool exhausted",
  services: ["checkout"],
};

async function journal(): Promise<{ url: string; pool: PgPool }> {
  const url = await server!.newDatabase();
  const pool = await openPostgres(url);
  cleanups.push(() => pool.end());
  return { url, pool };
}

/** A replica's memory: its own SQLite file at `path`, sharing through the journal on `pool`. */
async function replica(path: string, pool: PgPool, name: string) {
  const opened = await openTestMemory(path);
  cleanups.push(() => opened.db.close());
  const shared = new SharedFixMemory(opened.memory, await PgFixJournal.open(pool), {
    db: opened.db,
    journalName: "test",
    replica: name,
    onError: (err) => {
      throw err;
    },
  });
  return { shared, db: opened.db, close: () => opened.db.close() };
}

const incidentHit = async (m: SharedFixMemory) =>
  (await m.recall(QUERY)).hits.find((h) => h.kind === "incident");

/** Two replicas, a and b, each on its own SQLite file, sharing one fresh journal; `reopenB` starts b again on its file. */
async function twoReplicas() {
  const { pool } = await journal();
  const t = tempDir();
  cleanups.push(t.cleanup);
  const bPath = join(t.dir, "b.db");
  return {
    pool,
    a: await replica(join(t.dir, "a.db"), pool, "a"),
    b: await replica(bPath, pool, "b"),
    reopenB: () => replica(bPath, pool, "b"),
  };
}

describe.skipIf(noPostgres !== null)("runbook memory shared by replicas on PostgreSQL", () => {
  it("a fix verified on one replica is recalled, with its outcome, on the other", async () => {
    const { a, b } = await twoReplicas();
    expect(await incidentHit(b.shared)).toBeUndefined();

    expect(await a.shared.record(checkout5xx("inc_1", "verified"))).toEqual({
      entry: "incident:inc_1:restart_container",
      merged: false,
    });
    expect(await incidentHit(b.shared)).toMatchObject({
      key: "incident:inc_1:restart_container",
      verified: 1,
      failed: 0,
    });
    // And what b learns next (a failure of the same fix) reaches a: both see the same record.
    await b.shared.record(checkout5xx("inc_2", "failed"));
    const seenByA = (await a.shared.recall(QUERY)).fixes.find((f) => f.action === "restart_container");
    const seenByB = (await b.shared.recall(QUERY)).fixes.find((f) => f.action === "restart_container");
    expect(seenByA).toMatchObject({ verified: 1, failed: 1, source: "incident" });
    expect(seenByB).toEqual(seenByA);
  });

  it("learning the same outcome again (a run taken over after a crash) and restarting count it once", async () => {
    const { pool, a, b, reopenB } = await twoReplicas();
    await a.shared.record(checkout5xx("inc_1", "verified"));
    // The replica that took the incident over learns it again.
    await b.shared.record(checkout5xx("inc_1", "verified"));
    expect(await incidentHit(a.shared)).toMatchObject({ verified: 1 });
    expect(await incidentHit(b.shared)).toMatchObject({ verified: 1 });

    // b restarts on its own file: the journal is not applied a second time.
    b.close();
    const again = await reopenB();
    expect(await incidentHit(again.shared)).toMatchObject({ verified: 1 });
    const { rows } = await pool.query<{ n: string }>("SELECT count(*) AS n FROM shared_fixes");
    expect(Number(rows[0]!.n)).toBe(1);
  });

  it("a replica that died after applying a journal row but before moving its cursor counts it once", async () => {
    const { a, b, reopenB } = await twoReplicas();
    await a.shared.record(checkout5xx("inc_1", "verified"));
    await a.shared.record(checkout5xx("inc_2", "failed"));
    expect(await b.shared.catchUp()).toHaveLength(2);
    // The crash: both rows are in b's memory, its cursor never moved past them.
    b.db.prepare("DELETE FROM shared_fix_cursor").run();
    b.close();

    const again = await reopenB();
    expect(await again.shared.catchUp()).toHaveLength(2);
    const fixes = (await again.shared.recall(QUERY)).fixes.find((f) => f.action === "restart_container");
    expect(fixes).toMatchObject({ verified: 1, failed: 1 });
    const entries = again.db
      .prepare("SELECT count(*) AS n FROM memory_entries WHERE key LIKE 'incident:%'")
      .get() as { n: number };
    expect(entries.n).toBe(1);
  });

  it("many outcomes learned on both replicas at once reach both, each once", async () => {
    const { a, b } = await twoReplicas();
    const ids = Array.from({ length: 12 }, (_, i) => `inc_${i}`);
    await Promise.all(
      ids.map((id, i) => (i % 2 ? a : b).shared.record(checkout5xx(id, i % 3 ? "verified" : "failed"))),
    );
    const total = (m: SharedFixMemory) =>
      m.recall(QUERY, 50).then((r) => r.fixes.find((f) => f.action === "restart_container"));
    const [fa, fb] = await Promise.all([total(a.shared), total(b.shared)]);
    expect(fa).toMatchObject({ verified: 8, failed: 4 });
    expect(fb).toEqual(fa);
  });
});
