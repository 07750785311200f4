import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Incident } from "../../core/types.ts";
import { createContainerEventsTool } from "../../tools/docker/containerEvents.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import { TEST_API_TOKEN, useApiToken, waitForFinished } from "../helpers/aegis.ts";
import { fault, freePort, testDocker, useDockerHarness } from "../helpers/docker.ts";
import { postgresUnavailable, startTestPostgres, type TestPostgres } from "../helpers/postgres.ts";
import { serveProcess } from "../helpers/serveProcess.ts";

const h = useDockerHarness("crash");
const dirs: string[] = [];
const children: ChildProcess[] = [];

// The same crash on each store: SQLite always, PostgreSQL (checkpoints and ledger there) where it is installed.
const noPostgres = postgresUnavailable();
if (noPostgres) console.log(`[crash safety] skipping PostgreSQL: ${noPostgres}`);
let pgServer: TestPostgres | undefined;
beforeAll(async () => {
  if (!noPostgres) pgServer = await startTestPostgres();
}, 60_000);

afterAll(async () => {
  pgServer?.stop();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Start `aegis serve` as its own process, as a user would, and wait until it answers. */
const serve = (env: Record<string, string>) => serveProcess(env, children);

const cases = (["sqlite", "postgres"] as const).flatMap((store) =>
  (["before_action", "after_action"] as const).map((crashAt) => [crashAt, store] as const),
);

describe.each(cases)("killed -9 %s the Docker call (%s)", (crashAt, store) => {
  it.skipIf(store === "postgres" && noPostgres !== null)(
    "resumes after a restart, completes the incident, and the container is started exactly once",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "aegis-crash-"));
      dirs.push(dir);
      const { name, port: targetPort } = await h.target(`${crashAt}-${store}`);
      await fault(targetPort, "5xx");

      const port = String(await freePort());
      const env = {
        AEGIS_PORT: port,
        AEGIS_DB: join(dir, "aegis.db"),
        AEGIS_MODE: "auto",
        AEGIS_API_TOKEN: TEST_API_TOKEN,
        // A restarted process is a new replica: it takes the incident over once the dead one's lease lapses.
        ...(store === "postgres"
          ? { AEGIS_DATABASE_URL: await pgServer!.newDatabase(), AEGIS_WORK_LEASE_MS: "3000" }
          : {}),
      };
      useApiToken(`http://127.0.0.1:${port}`, TEST_API_TOKEN);
      const first = await serve({ ...env, AEGIS_TEST_CRASH_AT: crashAt });
      const alertAt = new Date().toISOString();
      const res = await postAlerts(
        `http://127.0.0.1:${port}`,
        retargeted({ alertname: "ContainerUnhealthy", container: name }),
      );
      expect(res.status).toBe(202);
      const id = (res.body.incidents as Array<{ id: string }>)[0]!.id;
      expect(await first.exited).toBe("SIGKILL");

      await serve(env);
      const incident: Incident = await waitForFinished(`http://127.0.0.1:${port}`, id);

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
