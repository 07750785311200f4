import { describe, expect, it } from "vitest";
import type { Incident } from "../../core/types.ts";
import { createContainerEventsTool } from "../../tools/docker/containerEvents.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import { TEST_API_TOKEN, useApiToken, waitForFinished } from "../helpers/aegis.ts";
import { fault, testDocker, useDockerHarness } from "../helpers/docker.ts";
import { useServeProcesses } from "../helpers/useServeProcesses.ts";

const h = useDockerHarness("crash");
// The same crash on each store: SQLite always, PostgreSQL (checkpoints and ledger there) where it is installed.
const processes = useServeProcesses({ postgres: true, label: "crash safety" });

const cases = (["sqlite", "postgres"] as const).flatMap((store) =>
  (["before_action", "after_action"] as const).map((crashAt) => [crashAt, store] as const),
);

describe.each(cases)("killed -9 %s the Docker call (%s)", (crashAt, store) => {
  it.skipIf(store === "postgres" && processes.noPostgres !== null)(
    "resumes after a restart, completes the incident, and the container is started exactly once",
    async () => {
      const { name, port: targetPort } = await h.target(`${crashAt}-${store}`);
      await fault(targetPort, "5xx");

      const fresh = await processes.freshEnv("aegis-crash");
      const env = {
        ...fresh.env,
        AEGIS_MODE: "auto",
        AEGIS_API_TOKEN: TEST_API_TOKEN,
        // A restarted process is a new replica: it takes the incident over once the dead one's lease lapses.
        ...(store === "postgres"
          ? { AEGIS_DATABASE_URL: await processes.postgres().newDatabase(), AEGIS_WORK_LEASE_MS: "3000" }
          : {}),
      };
      useApiToken(fresh.url, TEST_API_TOKEN);
      const first = await processes.serve({ ...env, AEGIS_TEST_CRASH_AT: crashAt });
      const alertAt = new Date().toISOString();
      const res = await postAlerts(
        fresh.url,
        retargeted({ alertname: "ContainerUnhealthy", container: name }),
      );
      expect(res.status).toBe(202);
      const id = (res.body.incidents as Array<{ id: string }>)[0]!.id;
      expect(await first.exited).toBe("SIGKILL");

      await processes.serve(env);
      const incident: Incident = await waitForFinished(fresh.url, id);

      expect(incident.status).toBe("resolved");
      expect(incident.decision?.action).toBe("restart_container");
      expect(incident.actions).toHaveLength(1);
      expect(incident.timeline.some((e) => e.message.startsWith("after a restart"))).toBe(true);
      const { events } = await createContainerEventsTool({ docker: testDocker() }).execute({
        container: name,
        sinceIso: alertAt,
      });
      expect(events.filter((e) => e.action === "start")).toHaveLength(1);
    },
  );
});
