import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { WebhookPayload } from "../../core/alert.ts";
import { createContainerEventsTool } from "../../tools/docker/containerEvents.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import { TEST_API_TOKEN } from "../helpers/aegis.ts";
import {
  fault,
  freePort,
  removeContainersNamed,
  runTarget,
  testDocker,
  uniqueName,
  waitFor,
} from "../helpers/docker.ts";
import { useServeProcesses, type ServeReplica } from "../helpers/useServeProcesses.ts";

/**
 * Several `aegis serve` processes on one real PostgreSQL, as replicas behind a load balancer: an alert storm
 * spread over them (every alert delivered twice, to two replicas, as Alertmanager's retries and an HA pair
 * of Alertmanagers do), the leader killed with -9 right after it sent an action, then the survivors finish.
 */
const prefix = uniqueName("replicas");
// Registered first, so it runs after the processes are killed (vitest runs after-hooks in reverse).
afterAll(async () => {
  await removeContainersNamed(prefix);
});
const processes = useServeProcesses({ postgres: true, label: "replicas" });

const health = async (r: ServeReplica) =>
  (await (await fetch(`${r.url}/healthz`)).json()) as { role?: string; store?: string; replica?: string };

describe.skipIf(processes.noPostgres !== null).each([2, 3])("%i replicas on PostgreSQL", (count) => {
  it("store every alert once, finish every incident once, send no action twice, and move the leader when it dies", async () => {
    const databaseUrl = await processes.postgres().newDatabase();
    const targets = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const name = `${prefix}-${count}-t${i}`;
        const port = await freePort();
        await runTarget({ name, port });
        await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok), {
          what: `target ${name} up`,
        });
        await fault(port, "5xx");
        return name;
      }),
    );
    const ghosts = Array.from({ length: 24 }, (_, i) => `${prefix}-${count}-ghost${i}`);

    const start = (i: number, extra: Record<string, string> = {}) =>
      processes.replica(`r${i}`, {
        AEGIS_DATABASE_URL: databaseUrl,
        AEGIS_WORK_LEASE_MS: "3000",
        AEGIS_MODE: "auto",
        AEGIS_API_TOKEN: TEST_API_TOKEN,
        ...extra,
      });
    // The first replica leads (it takes the lock first) and dies with -9 right after its first Docker call.
    const leader = await start(0, { AEGIS_TEST_CRASH_AT: "after_action" });
    await waitFor(async () => (await health(leader)).role === "leader", {
      what: "the first replica to lead",
    });
    expect(await health(leader)).toMatchObject({ store: "postgres", replica: "r0" });
    const followers: ServeReplica[] = [];
    for (let i = 1; i < count; i++) followers.push(await start(i));
    for (const f of followers) expect((await health(f)).role).toBe("follower");

    const alertAt = new Date().toISOString();
    // One alert per target (a later alert of a target whose incident already finished would rightly open a
    // second incident): the Docker targets' go to the leader first, so it works (and dies in) one of them. Every
    // alert is delivered twice, to two replicas at once.
    const first = targets.map((t) => retargeted({ alertname: "ContainerUnhealthy", container: t }));
    const rest: WebhookPayload[] = ghosts.map((g, i) =>
      retargeted({ alertname: i % 2 ? "ContainerDown" : "ContainerUnhealthy", container: g }),
    );
    const all = [leader, ...followers];
    // As Alertmanager behind a load balancer: a delivery whose connection fails (the replica died) is retried
    // at the next replica.
    const deliver = async (p: WebhookPayload, from: number) => {
      for (let k = 0; ; k++) {
        try {
          return await postAlerts(all[(from + k) % all.length]!.url, p);
        } catch (err) {
          if (k >= all.length) throw err;
        }
      }
    };
    // The Docker targets' alerts reach the leader before any other replica: a replica claims what it accepted
    // at once, so a follower that accepted one first would work it, and the leader would never reach its crash
    // point (the test then waited for a death that never came).
    const toLeader = await Promise.all(first.map((p) => deliver(p, 0)));
    const sent = [
      ...toLeader,
      ...(await Promise.all([
        ...first.map((p) => deliver(p, 1)),
        ...rest.flatMap((p, i) => [deliver(p, i), deliver(p, i + 1)]),
      ])),
    ];
    // A replica may die mid-storm: what it had answered 202 to is stored; the rest was answered by others.
    expect(sent.every((s) => s.status === 202)).toBe(true);

    expect(await leader.proc.exited).toBe("SIGKILL");
    // The lock is released with the dead replica's connection: one survivor leads.
    await waitFor(
      async () => (await Promise.all(followers.map(health))).filter((h) => h.role === "leader").length === 1,
      { what: "a follower to take the lead", timeoutMs: 20_000 },
    );

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      await waitFor(
        async () => {
          const { rows } = await db.query<{ active: number; queued: number }>(
            `SELECT (SELECT COUNT(*)::int FROM incidents WHERE active = 1) AS active,
                      (SELECT COUNT(*)::int FROM work_queue) AS queued`,
          );
          return rows[0]!.active === 0 && rows[0]!.queued === 0;
        },
        { what: "every incident finished and the queue empty", timeoutMs: 120_000, intervalMs: 250 },
      );

      // Every alert stored once, each of its two deliveries counted.
      const alerts = await db.query<{ fingerprint: string; notifications: number }>(
        "SELECT fingerprint, notifications FROM alerts",
      );
      const fingerprints = [...first, ...rest].map((p) => p.alerts[0]!.fingerprint);
      expect(alerts.rows.map((a) => a.fingerprint).sort()).toEqual([...fingerprints].sort());
      expect(alerts.rows.every((a) => a.notifications === 2)).toBe(true);

      // One incident per target; each Docker target healed by exactly one recorded action.
      const incidents = await db.query<{ id: string; target_key: string; status: string }>(
        "SELECT id, target_key, status FROM incidents",
      );
      expect(incidents.rows).toHaveLength(targets.length + ghosts.length);
      expect(new Set(incidents.rows.map((i) => i.target_key)).size).toBe(incidents.rows.length);
      const actions = await db.query<{ incident_id: string; state: string }>(
        "SELECT incident_id, state FROM actions",
      );
      const healed = incidents.rows.filter((i) => i.status === "resolved");
      expect(healed).toHaveLength(targets.length);
      expect(actions.rows).toHaveLength(targets.length);
      expect(new Set(actions.rows.map((a) => a.incident_id))).toEqual(new Set(healed.map((i) => i.id)));
      expect(incidents.rows.filter((i) => i.status === "escalated")).toHaveLength(ghosts.length);

      // The incident the leader died in was taken over and reconciled, not acted on again.
      const takenOver = await db.query(
        "SELECT DISTINCT incident_id FROM timeline WHERE message LIKE 'after a restart%'",
      );
      expect(takenOver.rowCount).toBeGreaterThanOrEqual(1);
    } finally {
      await db.end();
    }

    // What Docker saw: each container started once, whichever replica sent it and whoever died.
    for (const t of targets) {
      const { events } = await createContainerEventsTool({ docker: testDocker() }).execute({
        container: t,
        sinceIso: alertAt,
      });
      expect(events.filter((e) => e.action === "start")).toHaveLength(1);
    }
    for (const f of followers) f.proc.child.kill("SIGTERM");
    await Promise.all(followers.map((f) => f.proc.exited));
  }, 240_000);
});
