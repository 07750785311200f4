import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAegis, type Aegis, type ComposeOverrides } from "../app/compose.ts";
import { loadConfig } from "../core/config.ts";
import { silentLogger } from "../core/logger.ts";
import { startServer, type RunningServer } from "../server/listen.ts";

/** An AegisOps for one bench: the agent running, its webhook server on a loopback port, a temp store. */
export interface BenchAegis {
  aegis: Aegis;
  server: RunningServer;
  dir: string;
  /** Stop the server and the agent and remove the temp directory. */
  close(): Promise<void>;
}

/**
 * Compose AegisOps from `env` (AEGIS_DB in a fresh temp directory named after `name`) with a silent logger and
 * `overrides`, start its runner and serve it on 127.0.0.1.
 */
export async function startBenchAegis(
  name: string,
  env: Record<string, string>,
  overrides: Omit<ComposeOverrides, "logger"> = {},
): Promise<BenchAegis> {
  const dir = mkdtempSync(join(tmpdir(), `aegis-bench-${name}-`));
  const config = loadConfig({ AEGIS_DB: join(dir, "aegis.db"), ...env });
  const aegis = await createAegis(config, { logger: silentLogger(), ...overrides });
  const server = await startServer(aegis.app, "127.0.0.1", 0);
  await aegis.runner.start();
  return {
    aegis,
    server,
    dir,
    async close() {
      await server.close();
      await aegis.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
