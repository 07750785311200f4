import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { LocalHashEmbedder } from "../../runbooks/memory/localEmbedder.ts";
import { MemoryStore } from "../../runbooks/memory/memoryStore.ts";
import { openDatabase } from "../../store/db.ts";
import { tempDir } from "./helpers.ts";

/**
 * `aegis serve` writes one SQLite file from two processes: the webhook's front and the agent (whose runbook
 * memory lives there too). A memory write reads before it writes; it must hold the write lock from its start,
 * or a commit of the other process between its read and its write fails it with "database is locked".
 */
describe("runbook memory writes beside another writer", () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    while (cleanups.length) cleanups.pop()!();
  });

  it("a read-then-write keeps its place; the other writer waits for it instead", () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const path = join(t.dir, "aegis.db");
    const db = openDatabase(path, "normal");
    cleanups.push(() => db.close());
    db.exec("CREATE TABLE probe (v TEXT)");
    const store = new MemoryStore(db, new LocalHashEmbedder());
    // The other process's connection (no busy wait, so its refusal shows at once).
    const other = new Database(path);
    cleanups.push(() => other.close());
    other.pragma("busy_timeout = 0");

    let otherCommit: unknown;
    store.transaction(() => {
      db.prepare("SELECT count(*) FROM probe").get();
      try {
        other.prepare("INSERT INTO probe (v) VALUES ('other')").run();
      } catch (err) {
        otherCommit = err;
      }
      db.prepare("INSERT INTO probe (v) VALUES ('memory')").run();
    });
    expect(otherCommit).toMatchObject({ code: "SQLITE_BUSY" });
    expect(db.prepare("SELECT v FROM probe").all()).toEqual([{ v: "memory" }]);
  });
});
