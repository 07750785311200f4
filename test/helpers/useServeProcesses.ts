import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { freeLoopbackPort } from "../../core/ports.ts";
import { postgresUnavailable, startTestPostgres, type TestPostgres } from "./postgres.ts";
import { serveProcess, type ServeProcess } from "./serveProcess.ts";

/** One `aegis serve` replica: its AEGIS_REPLICA_ID, where it answers, its process. */
export interface ServeReplica {
  name: string;
  url: string;
  proc: ServeProcess;
}

/** The `aegis serve` processes of one test file, and what they need, cleaned up after the file. */
export interface ServeProcesses {
  /** With `postgres: true`: why PostgreSQL cannot run here (the file's PostgreSQL cases skip), else null. */
  readonly noPostgres: string | null;
  /** The file's throwaway PostgreSQL server (started in beforeAll when asked for and available). */
  postgres(): TestPostgres;
  /** A fresh temp directory, removed after the file. */
  tempDir(prefix: string): string;
  /** A free AEGIS_PORT and an AEGIS_DB in a fresh temp directory, and the URL the process will answer on. */
  freshEnv(
    prefix: string,
  ): Promise<{ env: { AEGIS_PORT: string; AEGIS_DB: string }; url: string; dir: string }>;
  /** Start `aegis serve` with this environment (AEGIS_PORT required); it is killed after the file if still up. */
  serve(env: Record<string, string>): Promise<ServeProcess>;
  /** Start one replica named `name` (AEGIS_REPLICA_ID) on a fresh port and SQLite path, with `env` on top. */
  replica(name: string, env: Record<string, string>): Promise<ServeReplica>;
}

/**
 * For a test file that starts `aegis serve` processes: each one started through `serve` is SIGKILLed after the
 * file, the temp directories are removed, and with `postgres: true` one throwaway PostgreSQL is started in
 * beforeAll (skipped with a printed note where PostgreSQL cannot run) and stopped after the file.
 */
export function useServeProcesses(opts: { postgres?: boolean; label?: string } = {}): ServeProcesses {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  let server: TestPostgres | undefined;
  const noPostgres = opts.postgres ? postgresUnavailable() : null;
  if (noPostgres) console.log(`[${opts.label ?? "serve processes"}] skipping PostgreSQL: ${noPostgres}`);

  if (opts.postgres) {
    beforeAll(async () => {
      if (!noPostgres) server = await startTestPostgres();
    }, 60_000);
  }
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    server?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    dirs.push(dir);
    return dir;
  };
  return {
    noPostgres,
    postgres() {
      if (!server) throw new Error(noPostgres ?? "useServeProcesses: PostgreSQL was not asked for");
      return server;
    },
    tempDir,
    async freshEnv(prefix) {
      const dir = tempDir(prefix);
      const port = String(await freeLoopbackPort());
      return {
        env: { AEGIS_PORT: port, AEGIS_DB: join(dir, "aegis.db") },
        url: `http://127.0.0.1:${port}`,
        dir,
      };
    },
    serve: (env) => serveProcess(env, children),
    async replica(name, env) {
      const fresh = await this.freshEnv(`aegis-replica-${name}`);
      const proc = await serveProcess({ ...fresh.env, AEGIS_REPLICA_ID: name, ...env }, children);
      return { name, url: fresh.url, proc };
    },
  };
}
