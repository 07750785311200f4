import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Alert } from "../../core/alert.ts";
import type { Target } from "../../core/types.ts";
import { PgIncidentRepository } from "../../store/postgres/incidentRepository.ts";
import { PgLeaderLock } from "../../store/postgres/leaderLock.ts";
import { openPostgres, type PgPool } from "../../store/postgres/pool.ts";
import { PgWorkQueue } from "../../store/postgres/workQueue.ts";
import { openStore } from "../../store/openStore.ts";
import { waitFor } from "../helpers/docker.ts";
import { postgresUnavailable, startTestPostgres, type TestPostgres } from "../helpers/postgres.ts";

const noPostgres = postgresUnavailable();
if (noPostgres) console.log(`[work queue] skipping: ${noPostgres}`);

const alert = (fp: string): Alert => ({
  status: "firing",
  labels: { alertname: `A-${fp}` },
  annotations: {},
  startsAt: "2026-12-07T10:00:00Z",
  endsAt: "0001-01-01T00:00:00Z",
  generatorURL: "",
  fingerprint: fp,
});
const target = (name: string): Target => ({
  kind: "docker_container",
  key: `docker:container/${name}`,
  name,
});

describe.skipIf(noPostgres !== null)("shared work queue and leader lock on PostgreSQL", () => {
  let server: TestPostgres;
  const pools: PgPool[] = [];
  const locks: PgLeaderLock[] = [];
  const open = async (url: string) => {
    const p = await openPostgres(url);
    pools.push(p);
    return p;
  };

  let dir: string;
  beforeAll(async () => {
    server = await startTestPostgres();
    dir = mkdtempSync(join(tmpdir(), "aegis-workqueue-"));
  }, 60_000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    for (const l of locks) await l.stop();
    for (const p of pools) await p.end();
    server?.stop();
  });

  it("a new incident is queued with it; replicas claiming together never get the same one", async () => {
    const url = await server.newDatabase();
    const [a, b] = [await open(url), await open(url)];
    const repo = new PgIncidentRepository(a);
    const ids = [];
    for (let i = 0; i < 20; i++)
      ids.push(
        (
          await repo.ingest([{ alert: alert(`q${i}`), target: target(`t${i}`) }], new Date().toISOString())
        )[0]!.incidentId,
      );
    const qa = new PgWorkQueue(a, "A", 60_000);
    const qb = new PgWorkQueue(b, "B", 60_000);
    expect(await qa.depth()).toBe(20);
    const claimed = (
      await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? qb : qa).claim(3)))
    ).flat();
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed).toHaveLength(20);
    expect(new Set(claimed)).toEqual(new Set(ids));
    expect(await qa.depth()).toBe(0);
  });

  it("a lapsed lease is taken over; the old owner's renewal and done then change nothing", async () => {
    const url = await server.newDatabase();
    const pool = await open(url);
    const repo = new PgIncidentRepository(pool);
    const [created] = await repo.ingest(
      [{ alert: alert("l1"), target: target("l1") }],
      new Date().toISOString(),
    );
    const incidentId = created!.incidentId;
    const dead = new PgWorkQueue(pool, "dead", 300);
    const alive = new PgWorkQueue(pool, "alive", 60_000);
    expect(await dead.claim(5)).toEqual([incidentId]);
    expect(await alive.claim(5)).toEqual([]);
    expect(await alive.claimOne(incidentId)).toBe(false);
    const taken = await waitFor(async () => (await alive.claim(5)).length > 0, {
      what: "the lease to lapse",
      timeoutMs: 5_000,
      intervalMs: 50,
    });
    expect(taken).toBe(true);
    expect(await dead.renew([incidentId])).toEqual([]);
    await dead.done(incidentId);
    expect(await alive.renew([incidentId])).toEqual([incidentId]);
    // Handed back on shutdown: claimable at once by another replica.
    await alive.abandon([incidentId]);
    expect(await dead.claim(1)).toEqual([incidentId]);
    await dead.done(incidentId);
    // An active incident with no entry (e.g. the entry was lost) is queued again by the sweep.
    expect(await alive.requeueOrphans()).toBe(1);
  });

  it("a restarted agent process takes back at once what its dead predecessor held, and nothing of another's", async () => {
    const url = await server.newDatabase();
    const pool = await open(url);
    const repo = new PgIncidentRepository(pool);
    const ids: string[] = [];
    for (const fp of ["r1", "r2", "r3"])
      ids.push(
        (await repo.ingest([{ alert: alert(fp), target: target(fp) }], new Date().toISOString()))[0]!
          .incidentId,
      );
    // Two replicas named alike (a misconfiguration) each hold work under their own start's name.
    const first = new PgWorkQueue(pool, "web-0/aaaa", 3_600_000);
    const other = new PgWorkQueue(pool, "web-0/cccc", 3_600_000);
    expect((await first.claim(2)).sort()).toEqual(ids.slice(0, 2).sort());
    expect(await other.claim(1)).toEqual([ids[2]]);

    // The front saw `aaaa` exit and starts `bbbb` naming it: opening the store hands its leases back.
    const restarted = await openStore({
      dbPath: join(dir, "restarted.db"),
      databaseUrl: url,
      replicaId: "web-0/bbbb",
      leaseMs: 3_600_000,
      predecessor: "web-0/aaaa",
    });
    try {
      expect((await restarted.workQueue!.claim(5)).sort()).toEqual(ids.slice(0, 2).sort());
      // The other process's lease is untouched, and the dead start can no longer renew.
      expect(await other.renew([ids[2]!])).toEqual([ids[2]]);
      expect(await first.renew(ids)).toEqual([]);
    } finally {
      await restarted.close();
    }
  });

  it("one leader at a time; when its connection dies another replica leads", async () => {
    const url = await server.newDatabase();
    const first = new PgLeaderLock(await open(url), 100);
    const second = new PgLeaderLock(await open(url), 100);
    locks.push(first, second);
    await first.start(() => undefined);
    await second.start(() => undefined);
    expect([first.isLeader(), second.isLeader()]).toEqual([true, false]);
    // The leader's process dies: its session ends (the server releases the lock) and it contends no more.
    const admin = await open(url);
    await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7302 AND granted",
    );
    await first.stop();
    await waitFor(() => second.isLeader(), { what: "the lead to move", timeoutMs: 5_000 });
    expect(first.isLeader()).toBe(false);
    await second.stop();
  });
});
