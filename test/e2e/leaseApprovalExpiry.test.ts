import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeSim, type KubeSim } from "@aegisops/kube-sim";
import { createAegis } from "../../app/compose.ts";
import { loadConfig } from "../../core/config.ts";
import { silentLogger } from "../../core/logger.ts";
import type { Decision } from "../../core/types.ts";
import { PgIncidentRepository } from "../../store/postgres/incidentRepository.ts";
import { openPostgres } from "../../store/postgres/pool.ts";
import { waitFor } from "../helpers/docker.ts";
import { postgresUnavailable, startTestPostgres, type TestPostgres } from "../helpers/postgres.ts";

/**
 * Approval expiry is a singleton: with AEGIS_LEADER_ELECTION=lease only the replica holding the Kubernetes Lease
 * (on the API simulator) sweeps approval requests. A request nobody answered in time is expired by the leader,
 * never by a follower, and the sweep moves to the follower when the leader stops.
 */
const noPostgres = postgresUnavailable();
if (noPostgres) console.log(`[lease approval expiry] skipping: ${noPostgres}`);

let pg: TestPostgres | undefined;
let sim: KubeSim | undefined;
let dir: string;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  if (noPostgres) return;
  pg = await startTestPostgres();
  sim = await startKubeSim({ fixture: "apiVersion: v1\nkind: Namespace\nmetadata: { name: aegisops }\n" });
  dir = mkdtempSync(join(tmpdir(), "aegis-lease-expiry-"));
  writeFileSync(join(dir, "kubeconfig"), sim.kubeconfig());
}, 90_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await sim?.stop();
  pg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const DECISION: Decision = {
  action: "restart_container",
  target: "docker:container/checkout",
  params: {},
  confidence: 0.9,
  rationale: "health URL answers 500",
  contributions: {},
  planner: "heuristic",
  model: null,
  promptVersion: null,
};

/** An incident waiting for a person's approval, requested two hours ago (well past any expiry). */
async function seedOverdueApproval(url: string): Promise<string> {
  const pool = await openPostgres(url);
  try {
    const repo = new PgIncidentRepository(pool);
    const [created] = await repo.ingest(
      [
        {
          alert: {
            status: "firing",
            labels: { alertname: "ContainerUnhealthy", container: "checkout" },
            annotations: {},
            startsAt: new Date().toISOString(),
            endsAt: "0001-01-01T00:00:00Z",
            generatorURL: "",
            fingerprint: "lease-expiry-1",
          },
          target: { kind: "docker_container", key: "docker:container/checkout", name: "checkout" },
        },
      ],
      new Date().toISOString(),
    );
    const id = created!.incidentId;
    // Paused for a person: no replica works it until it is answered or expires.
    await pool.query("DELETE FROM work_queue WHERE incident_id = $1", [id]);
    await repo.saveDecision(id, DECISION);
    await repo.setStatus(id, "awaiting_approval", null);
    await repo.appendTimeline(id, {
      step: "approve",
      message: "approval requested",
      data: { requested: true },
    });
    await pool.query("UPDATE timeline SET at = $2 WHERE incident_id = $1", [
      id,
      new Date(Date.now() - 2 * 3600_000).toISOString(),
    ]);
    return id;
  } finally {
    await pool.end();
  }
}

/** A replica (in this process) whose approval sweeps are counted. */
async function replica(name: string, url: string) {
  const config = loadConfig({
    AEGIS_DB: join(dir, `${name}.db`),
    AEGIS_DATABASE_URL: url,
    AEGIS_MODE: "approve",
    AEGIS_REPLICA_ID: name,
    AEGIS_LEADER_ELECTION: "lease",
    AEGIS_LEASE_NAMESPACE: "aegisops",
    AEGIS_LEASE_DURATION_S: "2",
    KUBECONFIG: join(dir, "kubeconfig"),
  });
  const aegis = await createAegis(config, { logger: silentLogger(), approvalSweepMs: 50 });
  const counted = { sweeps: 0 };
  const sweep = aegis.desk.sweep.bind(aegis.desk);
  aegis.desk.sweep = () => {
    counted.sweeps++;
    return sweep();
  };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await aegis.close();
  };
  closers.push(close);
  await aegis.start();
  return { aegis, counted, close };
}

describe.skipIf(noPostgres !== null)("approval expiry under Kubernetes Lease leadership", () => {
  it("only the Lease holder expires an overdue approval; the sweep moves when it stops", async () => {
    const url = await pg!.newDatabase();
    const id = await seedOverdueApproval(url);
    const a = await replica("replica-a", url);
    await waitFor(() => a.counted.sweeps > 0, { what: "replica-a to lead and sweep" });
    const b = await replica("replica-b", url);

    const expiries = async () =>
      (await b.aegis.incidents.get(id))!.timeline.filter((e) => e.message.startsWith("approval expired"));
    await waitFor(async () => (await expiries()).length > 0, { what: "the leader to expire the request" });
    // Many sweeps of the leader later, the follower has swept nothing, and the request expired once.
    const seen = a.counted.sweeps;
    await waitFor(() => a.counted.sweeps >= seen + 5, { what: "more sweeps on the leader" });
    expect(b.counted.sweeps).toBe(0);
    expect(await expiries()).toHaveLength(1);

    // The leader stops (releasing the Lease): the follower takes it and runs the sweep from then on.
    await a.close();
    await waitFor(() => b.counted.sweeps > 0, {
      what: "replica-b to take the Lease and sweep",
      timeoutMs: 20_000,
    });
    expect(await expiries()).toHaveLength(1);
  }, 120_000);
});
