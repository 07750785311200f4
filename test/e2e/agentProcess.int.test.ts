import { describe, expect, it } from "vitest";
import type { Incident } from "../../core/types.ts";
import { createContainerEventsTool } from "../../tools/docker/containerEvents.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import { TEST_API_TOKEN, getIncident, useApiToken, waitForFinished } from "../helpers/aegis.ts";
import { fault, useDockerHarness, waitFor } from "../helpers/docker.ts";
import { agentPid } from "../helpers/serveProcess.ts";
import { useServeProcesses } from "../helpers/useServeProcesses.ts";

/**
 * `aegis serve` runs the agent in its own process beside the webhook front (AEGIS_AGENT_PROCESS=separate, the
 * default). The agent process is killed with -9 right after it sent its Docker action; the front goes on
 * accepting a storm of alerts (each delivered twice, as HA Alertmanagers do) while the agent is down, restarts
 * the agent, and the agent resumes: the healed container got exactly one start, every alert is stored once,
 * and every incident of the storm is settled.
 */
const harness = useDockerHarness("agentproc");
const processes = useServeProcesses({ postgres: true, label: "agent process on PostgreSQL" });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Posts the unhealthy alert for `container` and waits for the agent process to die at its crash point. */
async function alertUntilAgentDies(base: string, container: string, agent: number | undefined) {
  const alertAt = new Date().toISOString();
  const res = await postAlerts(base, retargeted({ alertname: "ContainerUnhealthy", container }));
  expect(res.status).toBe(202);
  const id = (res.body.incidents as Array<{ id: string }>)[0]!.id;
  await waitFor(() => !alive(agent!), { what: "the agent process to die at its crash point" });
  return { id, alertAt };
}

/** The crashed incident, resumed by the restarted agent: resolved with one action, and one start of `container`. */
async function expectResumedOnce(incident: Incident, container: string, alertAt: string) {
  expect(incident.status).toBe("resolved");
  expect(incident.actions).toHaveLength(1);
  expect(incident.timeline.some((e) => e.message.startsWith("after a restart"))).toBe(true);
  const { events } = await createContainerEventsTool({ docker: harness.docker }).execute({
    container,
    sinceIso: alertAt,
  });
  expect(events.filter((e) => e.action === "start")).toHaveLength(1);
}

describe("the agent process killed -9 mid-incident", () => {
  it("the front keeps accepting alerts; after the restart every incident completes once and nothing is lost", async () => {
    const target = await harness.target("web");
    await fault(target.port, "5xx");

    const fresh = await processes.freshEnv("aegis-agentproc");
    const base = fresh.url;
    useApiToken(base, TEST_API_TOKEN);
    const serve = await processes.serve({
      ...fresh.env,
      AEGIS_MODE: "auto",
      AEGIS_API_TOKEN: TEST_API_TOKEN,
      AEGIS_TEST_CRASH_AT: "after_action",
      AEGIS_TEST_CRASH_SCOPE: "agent",
    });
    const servePid = serve.child.pid!;
    const firstAgent = agentPid(servePid);
    expect(firstAgent).toBeDefined();

    // The agent process dies right after its Docker call; the front is still there.
    const { id, alertAt } = await alertUntilAgentDies(base, target.name, firstAgent);
    expect(serve.child.exitCode).toBeNull();
    expect(serve.child.signalCode).toBeNull();

    // A storm while the agent is down or restarting: every notification is accepted and stored, once.
    const storm: string[] = [];
    for (let i = 0; i < 30; i++) {
      const payload = retargeted({ alertname: "ContainerDown", container: `${harness.prefix}-absent-${i}` });
      const first = await postAlerts(base, payload);
      const again = await postAlerts(base, payload);
      expect(first.status).toBe(202);
      expect(again.status).toBe(202);
      const [created] = first.body.incidents as Array<{ id: string; outcome: string }>;
      const [repeat] = again.body.incidents as Array<{ id: string; outcome: string }>;
      expect(created!.outcome).toBe("created");
      expect(repeat).toMatchObject({ id: created!.id, outcome: "repeat" });
      storm.push(created!.id);
    }

    // The front restarted the agent, which resumes the crashed run from its checkpoint.
    const incident: Incident = await waitForFinished(base, id, 90_000);
    const secondAgent = agentPid(servePid);
    expect(secondAgent).toBeDefined();
    expect(secondAgent).not.toBe(firstAgent);
    await expectResumedOnce(incident, target.name, alertAt);

    // Every storm incident is settled by the restarted agent, each holding its one alert.
    for (const stormId of storm) {
      const settled = await waitForFinished(base, stormId, 90_000);
      expect(settled.status).toBe("escalated");
      expect(settled.alerts).toHaveLength(1);
    }
    expect((await getIncident(base, id)).actions).toHaveLength(1);
    expect(serve.child.exitCode).toBeNull();
  }, 240_000);
});

describe.skipIf(processes.noPostgres !== null)(
  "the agent process killed -9 mid-incident on PostgreSQL",
  () => {
    it("its restart takes the dead start's lease back at once instead of waiting for it to lapse", async () => {
      const target = await harness.target("pgweb");
      await fault(target.port, "5xx");
      const fresh = await processes.freshEnv("aegis-agentproc-pg");
      const base = fresh.url;
      useApiToken(base, TEST_API_TOKEN);
      const serve = await processes.serve({
        ...fresh.env,
        AEGIS_DATABASE_URL: await processes.postgres().newDatabase(),
        AEGIS_MODE: "auto",
        AEGIS_API_TOKEN: TEST_API_TOKEN,
        // A lease far longer than the test may wait: the incident finishes only if the lease is handed back.
        AEGIS_WORK_LEASE_MS: String(3_600_000),
        AEGIS_TEST_CRASH_AT: "after_action",
        AEGIS_TEST_CRASH_SCOPE: "agent",
      });
      const firstAgent = agentPid(serve.child.pid!);
      const { id, alertAt } = await alertUntilAgentDies(base, target.name, firstAgent);

      const incident: Incident = await waitForFinished(base, id, 90_000);
      expect(agentPid(serve.child.pid!)).not.toBe(firstAgent);
      await expectResumedOnce(incident, target.name, alertAt);
    }, 240_000);
  },
);
