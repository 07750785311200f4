import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAegis, type Aegis, type ComposeOverrides } from "../../cli/compose.ts";
import { loadConfig } from "../../core/config.ts";
import { silentLogger } from "../../core/logger.ts";
import type { Incident } from "../../core/types.ts";
import { isTerminal } from "../../core/types.ts";
import { startServer, type RunningServer } from "../../server/listen.ts";
import { waitFor } from "./docker.ts";

/** A whole AegisOps (db in a temp dir, server on a free loopback port, runner started) for one test file. */
export interface TestAegis {
  aegis: Aegis;
  server: RunningServer;
  baseUrl: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startTestAegis(
  env: Record<string, string> = {},
  overrides: Partial<ComposeOverrides> = {},
): Promise<TestAegis> {
  const dir = mkdtempSync(join(tmpdir(), "aegis-test-"));
  const config = loadConfig({ AEGIS_DB: join(dir, "aegis.db"), AEGIS_MODE: "auto", ...env });
  const aegis = await createAegis(config, { logger: silentLogger(), verifyIntervalMs: 100, ...overrides });
  const server = await startServer(aegis.app, "127.0.0.1", 0);
  await aegis.start();
  return {
    aegis,
    server,
    dir,
    baseUrl: `http://127.0.0.1:${server.port}`,
    async stop() {
      await server.close();
      await aegis.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** GET an incident through the API. */
export async function getIncident(baseUrl: string, id: string): Promise<Incident> {
  const res = await fetch(`${baseUrl}/api/incidents/${id}`);
  if (!res.ok) throw new Error(`GET incident ${id}: HTTP ${res.status}`);
  return (await res.json()) as Incident;
}

/** Poll the API until the incident reaches a terminal status. */
export function waitForFinished(baseUrl: string, id: string, timeoutMs = 45_000): Promise<Incident> {
  return waitFor(
    async () => {
      const incident = await getIncident(baseUrl, id);
      return isTerminal(incident.status) ? incident : undefined;
    },
    { timeoutMs, intervalMs: 100, what: `incident ${id} to finish` },
  );
}
