import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../store/openStore.ts";
import { WalSync } from "../../store/walSync.ts";
import Database from "better-sqlite3";
import { incomingMemoryAlert } from "../helpers/alerts.ts";

describe("durable ingest commits on SQLite (flushed off the event loop)", () => {
  let dir: string;
  let store: Store | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "aegis-walsync-"));
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers every concurrent ingest once its commit is written, and another connection reads them all", async () => {
    store = await openStore({ dbPath: join(dir, "aegis.db") });
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        store!.ingest.ingest([incomingMemoryAlert(`fp-${i}`, `c-${i % 7}`)], new Date().toISOString()),
      ),
    );
    expect(outcomes.flat().filter((o) => o.outcome === "created")).toHaveLength(7);
    expect(outcomes.flat().filter((o) => o.outcome === "joined")).toHaveLength(33);
    // The commits sit in the WAL, which the flush made durable; a reader outside this process sees them.
    expect(statSync(join(dir, "aegis.db-wal")).size).toBeGreaterThan(0);
    const reader = new Database(join(dir, "aegis.db"), { readonly: true });
    try {
      expect(reader.prepare("SELECT count(*) AS n FROM alerts").get()).toEqual({ n: 40 });
    } finally {
      reader.close();
    }
  });

  it("flushes the database file itself when there is no WAL file", async () => {
    const path = join(dir, "plain.db");
    const db = new Database(path);
    db.exec("CREATE TABLE t (v TEXT)");
    db.close();
    const sync = new WalSync(path);
    await expect(Promise.all([sync.sync(), sync.sync(), sync.sync()])).resolves.toHaveLength(3);
    await sync.close();
  });

  it("fails the wait, not silently, when the database is gone", async () => {
    const sync = new WalSync(join(dir, "missing.db"));
    await expect(sync.sync()).rejects.toMatchObject({ code: "ENOENT" });
    // A later call tries again rather than repeating a stale failure forever.
    await expect(sync.sync()).rejects.toMatchObject({ code: "ENOENT" });
  });
});
