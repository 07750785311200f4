import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { incomingMemoryAlert } from "../helpers/alerts.ts";
import { groupCommit } from "../../server/groupCommit.ts";
import { openDatabase, type Db } from "../../store/db.ts";
import { SqliteIncidentRepository, type IncomingAlert } from "../../store/incidentRepository.ts";
import { fixture, retarget, startTestServer, type TestServer } from "./helpers.ts";

describe("concurrent notifications", () => {
  let srv: TestServer;
  beforeEach(async () => {
    srv = await startTestServer();
  });
  afterEach(async () => {
    await srv.close();
  });

  it("open exactly one incident for one container, however many arrive at once", async () => {
    const base = retarget(fixture("am-webhook-firing"), "shop-api");
    const payloads = Array.from({ length: 12 }, (_, i) => ({
      ...base,
      alerts: base.alerts.map((a) => ({
        ...a,
        fingerprint: `fp-${i}`,
        startsAt: `2026-11-23T15:08:${10 + i}.000Z`,
      })),
    }));
    const replies = await Promise.all(payloads.map((p) => srv.post(p)));
    expect(replies.map((r) => r.status)).toEqual(payloads.map(() => 202));
    const outcomes = await Promise.all(
      replies.map(
        async (r) =>
          ((await r.json()) as { incidents: Array<{ id: string; outcome: string }> }).incidents[0]!,
      ),
    );
    expect(outcomes.filter((o) => o.outcome === "created")).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === "joined")).toHaveLength(11);
    expect(new Set(outcomes.map((o) => o.id)).size).toBe(1);
    expect(srv.counts()).toMatchObject({ incidents: 1, alerts: 12 });
  });
});

/** A store whose ingest fails (before writing) for one poisoned fingerprint. */
class PoisonedRepository extends SqliteIncidentRepository {
  calls: number[] = [];
  override async ingest(alerts: IncomingAlert[], receivedAt: string) {
    this.calls.push(alerts.length);
    if (alerts.some((a) => a.alert.fingerprint === "poison")) throw new Error("disk on fire");
    return super.ingest(alerts, receivedAt);
  }
}

describe("groupCommit", () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "aegis-group-commit-"));
    db = openDatabase(join(dir, "aegis.db"));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const incoming = (fingerprint: string, container: string) => [incomingMemoryAlert(fingerprint, container)];

  it("shares one commit between notifications of the same turn, answering each with its own outcomes", async () => {
    const repo = new PoisonedRepository(db);
    const group = groupCommit(repo);
    const [a, b, c] = await Promise.all([
      group.ingest(incoming("a", "one")),
      group.ingest(incoming("b", "one")),
      group.ingest(incoming("c", "two")),
    ]);
    expect(repo.calls).toEqual([3]);
    expect(a!.map((o) => o.outcome)).toEqual(["created"]);
    expect(b!.map((o) => [o.fingerprint, o.outcome, o.incidentId])).toEqual([
      ["b", "joined", a![0]!.incidentId],
    ]);
    expect(c!.map((o) => o.outcome)).toEqual(["created"]);
  });

  it("fails only the notification that cannot be written", async () => {
    const repo = new PoisonedRepository(db);
    const group = groupCommit(repo);
    const results = await Promise.allSettled([
      group.ingest(incoming("a", "one")),
      group.ingest(incoming("poison", "one")),
      group.ingest(incoming("c", "one")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    // The shared attempt, then each notification alone.
    expect(repo.calls).toEqual([3, 1, 1, 1]);
    expect((db.prepare("SELECT count(*) AS n FROM alerts").get() as { n: number }).n).toBe(2);
  });

  it("keeps a commit under the alert cap", async () => {
    const repo = new PoisonedRepository(db);
    const group = groupCommit(repo, { maxBatchAlerts: 2 });
    await Promise.all(["a", "b", "c", "d", "e"].map((fp) => group.ingest(incoming(fp, "one"))));
    expect(repo.calls).toEqual([2, 2, 1]);
  });
});

describe("groupCommit while a commit waits for the disk", () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "aegis-group-commit-"));
    db = openDatabase(join(dir, "aegis.db"), "normal");
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes the next notifications meanwhile and answers none before its own flush", async () => {
    const flushes: Array<() => void> = [];
    const repo = new SqliteIncidentRepository(db, {
      commitSync: () => new Promise<void>((resolve) => flushes.push(resolve)),
    });
    const group = groupCommit(repo);
    const count = () => (db.prepare("SELECT count(*) AS n FROM alerts").get() as { n: number }).n;
    const answered: string[] = [];
    const send = (fp: string) => group.ingest(incomingAlert(fp)).then(() => answered.push(fp));

    const first = send("a");
    await until(() => flushes.length === 1);
    const second = send("b");
    // b is committed while a's flush is still pending; neither is answered yet.
    await until(() => flushes.length === 2);
    expect(count()).toBe(2);
    expect(answered).toEqual([]);
    flushes[1]!();
    await second;
    expect(answered).toEqual(["b"]);
    flushes[0]!();
    await first;
    expect(answered).toEqual(["b", "a"]);
  });
});

function incomingAlert(fingerprint: string): IncomingAlert[] {
  return [incomingMemoryAlert(fingerprint, "one")];
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met within 5 s");
    await new Promise((resolve) => setImmediate(resolve));
  }
}
