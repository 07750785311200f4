import pg from "pg";
import { describe, expect, it } from "vitest";
import type { Incident } from "../../core/types.ts";
import { createContainerEventsTool } from "../../tools/docker/containerEvents.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import { TEST_API_TOKEN } from "../helpers/aegis.ts";
import { fault, testDocker, useDockerHarness, waitFor } from "../helpers/docker.ts";
import { useServeProcesses, type ServeReplica } from "../helpers/useServeProcesses.ts";

/**
 * Two `aegis serve` replicas on one PostgreSQL in approve mode: the replica that worked an incident asks for
 * approval, and the answer reaches the other replica (a load balancer in front of the API). The other replica
 * resumes the paused run from the shared checkpoint and acts; Docker sees the action once.
 */
const h = useDockerHarness("approval-replicas");
const processes = useServeProcesses({ postgres: true, label: "approval on another replica" });

const startReplica = (databaseUrl: string, name: string) =>
  processes.replica(name, {
    AEGIS_DATABASE_URL: databaseUrl,
    AEGIS_WORK_LEASE_MS: "3000",
    AEGIS_MODE: "approve",
    AEGIS_API_TOKEN: TEST_API_TOKEN,
    AEGIS_VERIFY_TIMEOUT_MS: "15000",
  });

const auth = { authorization: `Bearer ${TEST_API_TOKEN}` };
const getIncident = async (r: ServeReplica, id: string) =>
  (await (await fetch(`${r.url}/api/incidents/${id}`, { headers: auth })).json()) as Incident;
const approve = (r: ServeReplica, id: string, by: string) =>
  fetch(`${r.url}/api/incidents/${id}/approve`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ by }),
  });

async function starts(container: string, sinceIso: string): Promise<number> {
  const { events } = await createContainerEventsTool({ docker: testDocker() }).execute({
    container,
    sinceIso,
  });
  return events.filter((e) => e.action === "start").length;
}

/** A broken lab container, and an incident about it opened at `at` and left waiting for approval. */
async function awaitingApproval(at: ServeReplica, watch: ServeReplica, suffix: string) {
  const { name, port } = await h.target(suffix);
  await fault(port, "5xx");
  const since = new Date().toISOString();
  const res = await postAlerts(at.url, retargeted({ alertname: "ContainerUnhealthy", container: name }));
  expect(res.status).toBe(202);
  const id = (res.body.incidents as Array<{ id: string }>)[0]!.id;
  // Read through the other replica: the store is shared.
  await waitFor(async () => (await getIncident(watch, id)).status === "awaiting_approval", {
    what: `incident ${id} to wait for approval`,
    timeoutMs: 30_000,
  });
  return { name, id, since };
}

const finished = (r: ServeReplica, id: string) =>
  waitFor(
    async () => {
      const i = await getIncident(r, id);
      return ["resolved", "failed", "escalated", "dismissed", "advised"].includes(i.status) ? i : undefined;
    },
    { what: `incident ${id} to finish`, timeoutMs: 60_000 },
  );

describe.skipIf(processes.noPostgres !== null)("approval answered on another replica (PostgreSQL)", () => {
  it("the replica that asked dies while waiting; the approval at the other one resumes the run there and acts once", async () => {
    const databaseUrl = await processes.postgres().newDatabase();
    const asker = await startReplica(databaseUrl, "r0");
    const other = await startReplica(databaseUrl, "r1");
    const { name, id, since } = await awaitingApproval(asker, other, "dies");
    expect(await starts(name, since)).toBe(0);

    // The whole replica dies (front and agent process), as when its pod does.
    expect(await asker.proc.killReplica()).toBe("SIGKILL");
    const res = await approve(other, id, "alice");
    expect(res.status).toBe(202);

    const incident = await finished(other, id);
    expect(incident.status).toBe("resolved");
    expect(incident.timeline.some((e) => e.step === "approve" && e.message === "approved by alice")).toBe(
      true,
    );
    const sent = incident.actions.filter((a) => a.state === "sent");
    expect(sent).toHaveLength(1);
    expect(await starts(name, since)).toBe(1);
    other.proc.child.kill("SIGTERM");
    await other.proc.exited;
  }, 120_000);

  it("the same approval sent to both replicas at once is taken once, and the action is sent once", async () => {
    const databaseUrl = await processes.postgres().newDatabase();
    const a = await startReplica(databaseUrl, "r0");
    const b = await startReplica(databaseUrl, "r1");
    const { name, id, since } = await awaitingApproval(a, b, "both");

    // Two people (or a retried click) answer through different replicas at the same moment.
    const [ra, rb] = await Promise.all([approve(a, id, "alice"), approve(b, id, "bob")]);
    expect([ra.status, rb.status].sort()).toEqual([202, 409]);

    const incident = await finished(a, id);
    expect(incident.status).toBe("resolved");
    const approvals = incident.timeline.filter(
      (e) => e.step === "approve" && /^approved by /.test(e.message),
    );
    expect(approvals).toHaveLength(1);
    expect(incident.actions.filter((a) => a.state === "sent")).toHaveLength(1);
    expect(await starts(name, since)).toBe(1);

    // Nothing is left queued or claimed for it on either replica.
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const q = await db.query("SELECT 1 FROM work_queue WHERE incident_id = $1", [id]);
      expect(q.rowCount).toBe(0);
    } finally {
      await db.end();
    }
    for (const r of [a, b]) r.proc.child.kill("SIGTERM");
    await Promise.all([a.proc.exited, b.proc.exited]);
  }, 120_000);
});
