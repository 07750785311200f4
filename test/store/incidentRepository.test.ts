import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import type { Alert } from "../../core/alert.ts";
import type { Target } from "../../core/types.ts";
import { SqliteActionLedger } from "../../store/actionLedger.ts";
import { openDatabase, type Db } from "../../store/db.ts";
import { SqliteIncidentRepository } from "../../store/incidentRepository.ts";

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

let db: Db;
let repo: SqliteIncidentRepository;

beforeEach(() => {
  db = openDatabase(join(mkdtempSync(join(tmpdir(), "aegis-store-")), "aegis.db"));
  repo = new SqliteIncidentRepository(db);
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

  it("keeps everything across a reopen of the database file", async () => {
    const [a] = await repo.ingest([{ alert: alert("f1"), target: web }], at());
    const file = db.name;
    db.close();
    const again = new SqliteIncidentRepository(openDatabase(file));
    expect((await again.get(a!.incidentId))!.timeline[0]!.step).toBe("received");
    expect(await again.listUnfinished()).toEqual([a!.incidentId]);
  });
});

describe("action ledger", () => {
  it("records an intent once per key and counts a target's recent actions", async () => {
    const ledger = new SqliteActionLedger(db);
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
    expect(await ledger.countForTargetSince(web.key, new Date(Date.now() - 3_600_000).toISOString())).toBe(1);
    expect(await ledger.countForTargetSince(api.key, new Date(Date.now() - 3_600_000).toISOString())).toBe(0);
  });
});
