import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../store/openStore.ts";
import { incomingMemoryAlert } from "../helpers/alerts.ts";
import { writeLockWait } from "../../store/writeLockWait.ts";

describe("the webhook waits for another connection's write lock without holding the event loop", () => {
  let dir: string;
  let store: Store | undefined;
  let other: Database.Database | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "aegis-lockwait-"));
  });
  afterEach(async () => {
    if (other?.inTransaction) other.exec("ROLLBACK");
    other?.close();
    other = undefined;
    await store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** A table `t` on a connection that does not wait in SQLite (busy_timeout 0), while `other` holds the lock. */
  const lockedTable = () => {
    const path = join(dir, "t.db");
    const db = new Database(path);
    db.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (v TEXT)");
    db.pragma("busy_timeout = 0");
    other = new Database(path);
    other.exec("BEGIN IMMEDIATE");
    return db;
  };

  it("stores the alert once the holder commits, and timers run while it waits", async () => {
    store = await openStore({ dbPath: join(dir, "aegis.db") });
    // The agent process's connection, as another process would hold it: a write transaction left open.
    other = new Database(join(dir, "aegis.db"));
    other.exec("BEGIN IMMEDIATE");
    other.prepare("INSERT INTO health_probe (id, at) VALUES (1, 'x')").run();

    const ingest = store.ingest.ingest([incomingMemoryAlert("fp-1", "web")], new Date().toISOString());
    let settled = false;
    void ingest.finally(() => (settled = true));
    // Only a free event loop runs this timer; a wait inside SQLite's busy handler would hold it until the
    // busy timeout failed the write.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    other.exec("COMMIT");

    await expect(ingest).resolves.toEqual([expect.objectContaining({ outcome: "created" })]);
    expect(other.prepare("SELECT count(*) AS n FROM alerts").get()).toEqual({ n: 1 });
    expect(other.prepare("SELECT alert_count, timeline_count FROM incidents").get()).toEqual({
      alert_count: 1,
      timeline_count: 1,
    });
  });

  it("fails with SQLite's busy error when the lock is not freed in time, and nothing is written", async () => {
    const db = lockedTable();
    const insert = db.transaction(() => db.prepare("INSERT INTO t VALUES ('a')").run());
    const wait = writeLockWait({ timeoutMs: 30 });
    try {
      await expect(wait(() => insert.immediate())).rejects.toMatchObject({ code: "SQLITE_BUSY" });
      other!.exec("ROLLBACK");
      expect(db.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 0 });
      // The next write, once the lock is free, goes through.
      await wait(() => insert.immediate());
      expect(db.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });

  it("begins waiting writes in the order they were asked for", async () => {
    const db = lockedTable();
    const wait = writeLockWait();
    const insert = (v: string) => db.transaction(() => db.prepare("INSERT INTO t VALUES (?)").run(v));
    try {
      const writes = ["a", "b", "c"].map((v) => wait(() => insert(v).immediate()));
      setTimeout(() => other!.exec("COMMIT"), 20);
      await Promise.all(writes);
      expect(db.prepare("SELECT v FROM t ORDER BY rowid").all()).toEqual([
        { v: "a" },
        { v: "b" },
        { v: "c" },
      ]);
    } finally {
      db.close();
    }
  });
});
