import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAegis, type Aegis, type ComposeOverrides } from "../../app/compose.ts";
import { loadConfig } from "../../core/config.ts";
import { silentLogger } from "../../core/logger.ts";
import type { Incident, IncidentSummary } from "../../core/types.ts";
import { isTerminal } from "../../core/types.ts";
import { startServer, type RunningServer } from "../../server/listen.ts";
import { waitFor } from "./docker.ts";
import { storeEnv } from "./postgresLeg.ts";

/** A whole AegisOps (db in a temp dir, server on a free loopback port, runner started) for one test file. */
export interface TestAegis {
  aegis: Aegis;
  server: RunningServer;
  baseUrl: string;
  dir: string;
  stop(): Promise<void>;
}

/** The API token a test AegisOps reads with, unless the test sets AEGIS_API_TOKEN itself. */
export const TEST_API_TOKEN = "test-api-token";
/** Reads through the API need the token: the one each running test AegisOps was started with. */
const tokens = new Map<string, string>();

/** Read `baseUrl`'s API with this token (an AegisOps the test started as its own process). */
export function useApiToken(baseUrl: string, token: string): void {
  tokens.set(baseUrl, token);
}

/** Headers that authenticate a read of `baseUrl`'s API. */
export function apiHeaders(baseUrl: string): Record<string, string> {
  const token = tokens.get(baseUrl);
  return token ? { authorization: `Bearer ${token}` } : {};
}

export async function startTestAegis(
  env: Record<string, string> = {},
  overrides: Partial<ComposeOverrides> = {},
): Promise<TestAegis> {
  const dir = mkdtempSync(join(tmpdir(), "aegis-test-"));
  const config = loadConfig({
    AEGIS_DB: join(dir, "aegis.db"),
    AEGIS_MODE: "auto",
    AEGIS_API_TOKEN: TEST_API_TOKEN,
    // The store matrix: PostgreSQL on that leg of `npm test`, SQLite otherwise (vitest.config.ts).
    ...(await storeEnv()),
    ...env,
  });
  const aegis = await createAegis(config, { logger: silentLogger(), verifyIntervalMs: 100, ...overrides });
  if (config.databaseUrl && aegis.store.kind !== "postgres")
    throw new Error("the PostgreSQL leg opened no PostgreSQL");
  const server = await startServer(aegis.app, "127.0.0.1", 0);
  await aegis.start();
  const baseUrl = `http://127.0.0.1:${server.port}`;
  if (config.apiToken) tokens.set(baseUrl, config.apiToken);
  return {
    aegis,
    server,
    dir,
    baseUrl,
    async stop() {
      tokens.delete(baseUrl);
      await server.close();
      await aegis.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** GET an incident through the API. */
export async function getIncident(baseUrl: string, id: string): Promise<Incident> {
  const res = await fetch(`${baseUrl}/api/incidents/${id}`, { headers: apiHeaders(baseUrl) });
  if (!res.ok) throw new Error(`GET incident ${id}: HTTP ${res.status}`);
  return (await res.json()) as Incident;
}

/** GET the incident list (summaries, newest first) through the API. */
export async function listIncidents(baseUrl: string): Promise<IncidentSummary[]> {
  const res = await fetch(`${baseUrl}/api/incidents`, { headers: apiHeaders(baseUrl) });
  if (!res.ok) throw new Error(`GET incidents: HTTP ${res.status}`);
  return ((await res.json()) as { incidents: IncidentSummary[] }).incidents;
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
