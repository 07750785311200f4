import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Alert } from "../../core/alert.ts";
import type { Target } from "../../core/types.ts";
import { SqliteActionLedger, type ActionLedger } from "../../store/actionLedger.ts";
import type { IncidentBounds } from "../../store/bounds.ts";
import { openDatabase } from "../../store/db.ts";
import { SqliteIncidentRepository, type IncidentRepository } from "../../store/incidentRepository.ts";
import { PgActionLedger } from "../../store/postgres/actionLedger.ts";
import { PgIncidentRepository } from "../../store/postgres/incidentRepository.ts";
import { openPostgres } from "../../store/postgres/pool.ts";
import { PgRuntimeSettings } from "../../store/postgres/runtimeSettings.ts";
import { SqlitePredictionRepository, type PredictionRepository } from "../../store/predictionRepository.ts";
import { PgPredictionRepository } from "../../store/postgres/predictionRepository.ts";
import { SqliteRuntimeSettings, type RuntimeSettings } from "../../store/runtimeSettings.ts";
import { postgresUnavailable, startTestPostgres, type TestPostgres } from "../helpers/postgres.ts";

const web: Target = { kind: "docker_container", key: "docker:container/web", name: "web" };
const api: Target = { kind: "docker_container", key: "docker:container/api", name: "api" };
const at = () => new Date().toISOString();

function alert(
  fingerprint: string,
  status: "firing" | "resolved" = "firing",
  startsAt = "2026-11-23T10:00:00Z",
): Alert {
  return {
    status,
    labels: { alertname: `A-${fingerprint}` },
    annotations: {},
    startsAt,
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: "",
    fingerprint,
  };
}

/** One store under test: its repositories, and a way to open another handle on the same data. */
interface StoreUnderTest {
  incidents: IncidentRepository;
  ledger: ActionLedger;
  settings: RuntimeSettings;
  predictions: PredictionRepository;
  second(
    bounds?: Partial<IncidentBounds>,
  ): Promise<{ incidents: IncidentRepository; predictions: PredictionRepository }>;
  close(): Promise<void>;
}

// The same assertions hold for every store: SQLite always, PostgreSQL where its server binaries are installed.
const kinds: Array<{ name: string; open: () => Promise<StoreUnderTest>; skip: string | null }> = [
  {
    name: "sqlite",
    skip: null,
    open: async () => {
      const file = join(mkdtempSync(join(tmpdir(), "aegis-store-")), "aegis.db");
      const db = openDatabase(file);
      const others = [db];
      return {
        incidents: new SqliteIncidentRepository(db),
        ledger: new SqliteActionLedger(db),
        settings: new SqliteRuntimeSettings(db),
        predictions: new SqlitePredictionRepository(db),
        second: async (bounds) => {
          const other = openDatabase(file);
          others.push(other);
          return {
            incidents: new SqliteIncidentRepository(other, bounds ? { bounds } : {}),
            predictions: new SqlitePredictionRepository(other),
          };
        },
        close: async () => others.forEach((d) => d.close()),
      };
    },
  },
  {
    name: "postgres",
    skip: postgresUnavailable(),
    open: async () => {
      const url = await server!.newDatabase();
      const pool = await openPostgres(url);
      const others = [pool];
      return {
        incidents: new PgIncidentRepository(pool),
        ledger: new PgActionLedger(pool),
        settings: new PgRuntimeSettings(pool),
        predictions: new PgPredictionRepository(pool),
        second: async (bounds) => {
          const other = await openPostgres(url);
          others.push(other);
          return {
            incidents: new PgIncidentRepository(other, bounds ? { bounds } : {}),
            predictions: new PgPredictionRepository(other),
          };
        },
        close: async () => {
          for (const p of others) await p.end();
        },
      };
    },
  },
];

let server: TestPostgres | undefined;

for (const kind of kinds) {
  if (kind.skip) console.log(`[store contract] skipping ${kind.name}: ${kind.skip}`);
}

describe.each(kinds.map((k) => [k.name, k] as const))("store contract on %s", (_name, kind) => {
  let store: StoreUnderTest;
  let repo: IncidentRepository;

  beforeAll(async () => {
    if (kind.skip) return;
    if (kind.name === "postgres" && !server) server = await startTestPostgres();
  }, 60_000);
  afterAll(() => {
    if (kind.name === "postgres") server?.stop();
  });
  beforeEach(async (ctx) => {
    if (kind.skip) return ctx.skip();
    store = await kind.open();
    repo = store.incidents;
  });
  afterEach(async () => {
    await store?.close();
  });

  describe("incident repository", () => {
    it("groups alerts per target, counts repeats, and keeps one active incident per target", async () => {
      const [a] = await repo.ingest([{ alert: alert("f1"), target: web }], at());
      const [b, c] = await repo.ingest(
        [
          { alert: alert("f1"), target: web },
          { alert: alert("f2"), target: web },
        ],
        at(),
      );
      const [d] = await repo.ingest([{ alert: alert("f3"), target: api }], at());
      expect([a!.outcome, b!.outcome, c!.outcome, d!.outcome]).toEqual([
        "created",
        "repeat",
        "joined",
        "created",
      ]);
      expect(new Set([a!.incidentId, b!.incidentId, c!.incidentId])).toHaveLength(1);
      expect(d!.incidentId).not.toBe(a!.incidentId);
      expect((await repo.get(a!.incidentId))!.alerts).toHaveLength(2);
    });

    it("one notification naming several targets: each alert creates, joins or repeats as it would alone", async () => {
      const db: Target = { kind: "docker_container", key: "docker:container/db", name: "db" };
      const cache: Target = { kind: "docker_container", key: "docker:container/cache", name: "cache" };
      const [w] = await repo.ingest([{ alert: alert("w1"), target: web }], at());
      const out = await repo.ingest(
        [
          { alert: alert("a1"), target: api },
          { alert: alert("w1"), target: web },
          { alert: alert("d1"), target: db },
          { alert: alert("c1"), target: cache },
        ],
        at(),
      );
      expect(out.map((o) => o.outcome)).toEqual(["created", "repeat", "created", "created"]);
      expect(out[1]!.incidentId).toBe(w!.incidentId);
      const [a, , d, c] = out.map((o) => o.incidentId);
      expect(new Set([a, d, c, w!.incidentId])).toHaveLength(4);
      const db1 = (await repo.get(d!))!;
      expect(db1.target.key).toBe(db.key);
      expect(db1.alerts.map((x) => x.fingerprint)).toEqual(["d1"]);
      expect(db1.timeline.map((t) => t.step)).toEqual(["received"]);
      // The next alert of each new incident joins it, and every new incident is waiting for the agent.
      const again = await repo.ingest(
        [
          { alert: alert("a2"), target: api },
          { alert: alert("c2"), target: cache },
        ],
        at(),
      );
      expect(again.map((o) => [o.outcome, o.incidentId])).toEqual([
        ["joined", a],
        ["joined", c],
      ]);
      expect((await repo.get(c!))!.alerts.map((x) => x.fingerprint)).toEqual(["c1", "c2"]);
      expect(new Set(await repo.listUnfinished())).toEqual(new Set([w!.incidentId, a, d, c]));
    });

    it("a group commit of firing alerts, several per target, comes out as the alerts one by one", async () => {
      const cache: Target = { kind: "docker_container", key: "docker:container/cache", name: "cache" };
      const [w] = await repo.ingest([{ alert: alert("w1"), target: web }], at());
      const out = await repo.ingest(
        [
          { alert: alert("a1"), target: api },
          { alert: alert("a2"), target: api },
          { alert: alert("w1"), target: web },
          { alert: alert("w2"), target: web },
          { alert: alert("c1"), target: cache },
          { alert: alert("a3"), target: api },
        ],
        at(),
      );
      expect(out.map((o) => o.outcome)).toEqual([
        "created",
        "joined",
        "repeat",
        "joined",
        "created",
        "joined",
      ]);
      const [a, a2, w1, w2, c, a3] = out.map((o) => o.incidentId);
      expect([a2, a3]).toEqual([a, a]);
      expect([w1, w2]).toEqual([w!.incidentId, w!.incidentId]);
      expect(new Set([a, c, w!.incidentId])).toHaveLength(3);
      const apiIncident = (await repo.get(a!))!;
      expect(apiIncident.alerts.map((x) => x.fingerprint)).toEqual(["a1", "a2", "a3"]);
      expect(apiIncident.timeline.map((t) => t.step)).toEqual(["received", "alert_joined", "alert_joined"]);
      expect((await repo.get(w!.incidentId))!.alerts.map((x) => x.fingerprint)).toEqual(["w1", "w2"]);
    });

    it("a group commit past the bounds keeps and counts what one by one would", async () => {
      const bounded = (await store.second({ alertsPerIncident: 2, timelinePerIncident: 4, timelineHead: 1 }))
        .incidents;
      // Within the timeline's bound: four alerts of one target, two kept whole.
      const four = await bounded.ingest(
        ["b1", "b2", "b3", "b4"].map((f) => ({ alert: alert(f), target: api })),
        at(),
      );
      expect(four.map((o) => o.outcome)).toEqual(["created", "joined", "joined", "joined"]);
      const b = (await bounded.get(four[0]!.incidentId))!;
      expect(b.alerts.map((x) => x.labels.alertname)).toEqual(["A-b1", "A-b2"]);
      expect(b.omitted).toEqual({ alerts: 2, timeline: 0 });
      expect(b.timeline).toHaveLength(4);
      // Past the timeline's bound: the head and the newest entries stay.
      const six = await bounded.ingest(
        ["d1", "d2", "d3", "d4", "d5", "d6"].map((f) => ({ alert: alert(f), target: web })),
        at(),
      );
      expect(new Set(six.map((o) => o.incidentId))).toHaveLength(1);
      const d = (await bounded.get(six[0]!.incidentId))!;
      expect(d.timeline.map((t) => t.message)).toEqual([
        "alert A-d1 opened the incident",
        "alert A-d4 joined the incident",
        "alert A-d5 joined the incident",
        "alert A-d6 joined the incident",
      ]);
      expect(d.omitted).toEqual({ alerts: 4, timeline: 2 });
    });

    it("a new firing of a target whose incident finished opens a new incident", async () => {
      const [a] = await repo.ingest([{ alert: alert("f1"), target: web }], at());
      await repo.setStatus(a!.incidentId, "resolved", "verified healthy");
      const [b] = await repo.ingest(
        [{ alert: alert("f1", "firing", "2026-11-23T11:00:00Z"), target: web }],
        at(),
      );
      expect(b!.outcome).toBe("created");
      expect(b!.incidentId).not.toBe(a!.incidentId);
    });

    it("a resolved alert dismisses an untouched incident, but only records itself once action began", async () => {
      const [a] = await repo.ingest([{ alert: alert("f1"), target: web }], at());
      const [r] = await repo.ingest([{ alert: alert("f1", "resolved"), target: web }], at());
      expect(r!.outcome).toBe("dismissed");
      expect((await repo.get(a!.incidentId))!.status).toBe("dismissed");

      const [b] = await repo.ingest([{ alert: alert("f2"), target: api }], at());
      await repo.setStatus(b!.incidentId, "acting", null);
      const [r2] = await repo.ingest([{ alert: alert("f2", "resolved"), target: api }], at());
      expect(r2!.outcome).toBe("resolved_recorded");
      expect((await repo.get(b!.incidentId))!.status).toBe("acting");
    });

    it("one alert resolving does not dismiss an incident whose other alerts still fire", async () => {
      const [a] = await repo.ingest(
        [
          { alert: alert("f1"), target: web },
          { alert: alert("f2"), target: web },
        ],
        at(),
      );
      const [r1] = await repo.ingest([{ alert: alert("f1", "resolved"), target: web }], at());
      expect(r1!.outcome).toBe("resolved_recorded");
      expect((await repo.get(a!.incidentId))!.status).toBe("open");
      const [r2] = await repo.ingest([{ alert: alert("f2", "resolved"), target: web }], at());
      expect(r2!.outcome).toBe("dismissed");
    });

    it("lists newest first, filters by status, counts by status", async () => {
      const ids = [];
      for (const [i, t] of [web, api].entries()) {
        ids.push(
          (
            await repo.ingest([{ alert: alert(`f${i}`), target: t }], new Date(Date.now() + i).toISOString())
          )[0]!.incidentId,
        );
      }
      await repo.setStatus(ids[0]!, "escalated", "no target");
      expect((await repo.list({})).map((i) => i.id)).toEqual([ids[1], ids[0]]);
      expect((await repo.list({ status: "escalated" })).map((i) => i.id)).toEqual([ids[0]]);
      const counts = await repo.countByStatus();
      expect(counts.escalated).toBe(1);
      expect(counts.open).toBe(1);
      expect(counts.resolved).toBe(0);
    });

    it("a second handle on the same store (another replica, or a restart) sees everything", async () => {
      const [a] = await repo.ingest([{ alert: alert("f1"), target: web }], at());
      const again = (await store.second()).incidents;
      expect((await again.get(a!.incidentId))!.timeline[0]!.step).toBe("received");
      expect(await again.listUnfinished()).toEqual([a!.incidentId]);
    });

    it("alerts of one target arriving at two handles at once open one incident", async () => {
      const other = (await store.second()).incidents;
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? other : repo).ingest([{ alert: alert(`c${i}`), target: web }], at()),
        ),
      );
      const ids = new Set(outcomes.flat().map((o) => o.incidentId));
      expect(ids.size).toBe(1);
      expect(outcomes.flat().filter((o) => o.outcome === "created")).toHaveLength(1);
      expect((await repo.get([...ids][0]!))!.alerts).toHaveLength(8);
    });

    it("one object is claimed by one active incident; a merge moves the alerts and dismisses the other", async () => {
      const [a] = await repo.ingest([{ alert: alert("f1"), target: web }], at());
      const [b] = await repo.ingest([{ alert: alert("f2"), target: api }], at());
      expect(await repo.claimObject(a!.incidentId, "docker:id/abc")).toBeUndefined();
      expect(await repo.claimObject(b!.incidentId, "docker:id/abc")).toBe(a!.incidentId);
      await repo.mergeInto(b!.incidentId, a!.incidentId, "same container");
      expect((await repo.get(a!.incidentId))!.alerts).toHaveLength(2);
      expect((await repo.get(b!.incidentId))!.status).toBe("dismissed");
    });

    it("counts runs started and not finished", async () => {
      const [a] = await repo.ingest([{ alert: alert("f1"), target: web }], at());
      expect(await repo.beginRun(a!.incidentId)).toBe(0);
      expect(await repo.beginRun(a!.incidentId)).toBe(1);
      await repo.endRun(a!.incidentId);
      expect(await repo.beginRun(a!.incidentId)).toBe(0);
    });

    it("bounds the timeline: keeps the head and the newest, counts what it dropped", async () => {
      const bounded = (await store.second({ timelinePerIncident: 6, timelineHead: 2 })).incidents;
      const [a] = await bounded.ingest([{ alert: alert("f1"), target: web }], at());
      for (let i = 0; i < 10; i++)
        await bounded.appendTimeline(a!.incidentId, { step: "note", message: `n${i}` });
      const inc = (await bounded.get(a!.incidentId))!;
      expect(inc.timeline.map((t) => t.message)).toEqual([
        "alert A-f1 opened the incident",
        "n0",
        "n6",
        "n7",
        "n8",
        "n9",
      ]);
      expect(inc.omitted).toEqual({ alerts: 0, timeline: 5 });
    });

    it("summaries name the alerts; the write probe commits", async () => {
      const [a] = await repo.ingest(
        [
          { alert: alert("f1"), target: web },
          { alert: alert("f2"), target: web },
        ],
        at(),
      );
      const [s] = await repo.listSummaries({});
      expect(s!.id).toBe(a!.incidentId);
      expect(s!.alertnames).toEqual(["A-f1", "A-f2"]);
      expect(s!.alertCount).toBe(2);
      await repo.ping();
      await repo.pingWrite();
    });
  });

  describe("action ledger", () => {
    it("records an intent once per key and counts a target's recent actions", async () => {
      const ledger = store.ledger;
      const [a] = await repo.ingest([{ alert: alert("f1"), target: web }], at());
      const intent = {
        key: `${a!.incidentId}:act:1`,
        incidentId: a!.incidentId,
        action: "restart_container" as const,
        target: "web",
        targetKey: web.key,
        params: {},
        attempt: 1,
        requestedAt: at(),
      };
      await ledger.begin(intent);
      const again = await ledger.begin({ ...intent, requestedAt: "2030-01-01T00:00:00Z" });
      expect(again.requestedAt).toBe(intent.requestedAt);
      expect(again.state).toBe("pending");
      await ledger.complete(intent.key, { state: "sent", result: { ok: true } });
      expect((await ledger.get(intent.key))!.state).toBe("sent");
      expect(await ledger.countForTargetSince(web.key, new Date(Date.now() - 3_600_000).toISOString())).toBe(
        1,
      );
      expect(await ledger.countForTargetSince(api.key, new Date(Date.now() - 3_600_000).toISOString())).toBe(
        0,
      );
    });

    it("finds what other incidents sent to the same object after an action (what its undo would revert)", async () => {
      const ledger = store.ledger;
      const [a] = await repo.ingest([{ alert: alert("g1"), target: web }], at());
      await repo.setStatus(a!.incidentId, "resolved", null);
      const [b] = await repo.ingest(
        [{ alert: alert("g2", "firing", "2026-11-23T11:00:00Z"), target: web }],
        at(),
      );
      const [c] = await repo.ingest([{ alert: alert("g3"), target: api }], at());
      const intent = (incidentId: string, targetKey: string, requestedAt: string) => ({
        key: `${incidentId}:act:1`,
        incidentId,
        action: "scale_service" as const,
        target: "x",
        targetKey,
        params: {},
        attempt: 1,
        requestedAt,
      });
      await ledger.begin(intent(a!.incidentId, web.key, "2026-11-23T10:00:00.000Z"));
      await ledger.complete(`${a!.incidentId}:act:1`, { state: "sent" });
      expect(await ledger.laterOnSameTarget(`${a!.incidentId}:act:1`)).toEqual([]);
      await ledger.begin(intent(b!.incidentId, web.key, "2026-11-23T11:00:00.000Z"));
      await ledger.begin(intent(c!.incidentId, api.key, "2026-11-23T11:00:00.000Z"));
      const later = await ledger.laterOnSameTarget(`${a!.incidentId}:act:1`);
      expect(later.map((l) => [l.incidentId, l.state])).toEqual([[b!.incidentId, "pending"]]);
      // A failed action changed nothing: it is not in the way of an undo.
      await ledger.complete(`${b!.incidentId}:act:1`, { state: "failed", error: "refused" });
      expect(await ledger.laterOnSameTarget(`${a!.incidentId}:act:1`)).toEqual([]);
      expect(await ledger.targetKeyOf(`${c!.incidentId}:act:1`)).toBe(api.key);
      expect(await ledger.targetKeyOf("no-such-key")).toBeUndefined();
    });
  });

  describe("runtime settings", () => {
    it("sets, lists, removes, and logs every change newest first", async () => {
      const settings = store.settings;
      await settings.set("mode", "checkout", "auto", "alice");
      await settings.set("mode", "cart", "approve", "bob");
      await settings.set("mode", "checkout", null, "carol");
      expect((await settings.list<string>("mode")).map((s) => [s.key, s.value, s.changedBy])).toEqual([
        ["cart", "approve", "bob"],
      ]);
      expect(await settings.get("mode", "checkout")).toBeUndefined();
      expect((await settings.history("mode")).map((h) => [h.key, h.value, h.changedBy])).toEqual([
        ["checkout", null, "carol"],
        ["cart", "approve", "bob"],
        ["checkout", "auto", "alice"],
      ]);
    });
  });

  describe("prediction repository", () => {
    it("upserts by fingerprint, reads newest first, prunes to the newest, and another handle sees them", async () => {
      const p = store.predictions;
      for (let i = 0; i < 5; i++)
        await p.save(`predictive-${i}`, { key: `memory|pod=${i}`, at: i }, `2026-12-07T10:0${i}:00.000Z`);
      await p.save("predictive-1", { key: "memory|pod=1", at: 9 }, "2026-12-07T10:09:00.000Z");
      const { rows, unreadable } = await p.recent(10);
      expect(unreadable).toBe(0);
      expect(rows.map((r) => r.fingerprint)).toEqual([
        "predictive-1",
        "predictive-4",
        "predictive-3",
        "predictive-2",
        "predictive-0",
      ]);
      expect(rows[0]!.prediction).toEqual({ key: "memory|pod=1", at: 9 });
      expect(await p.prune(3)).toBe(2);
      const other = await store.second();
      expect((await other.predictions.recent(10)).rows.map((r) => r.fingerprint)).toEqual([
        "predictive-1",
        "predictive-4",
        "predictive-3",
      ]);
    });
  });
});
