import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { waitFor } from "./docker.ts";
import { freeLoopbackPort as freePort } from "../../core/ports.ts";

/** A throwaway PostgreSQL cluster on a loopback port, in a temp dir; `stop()` removes it. */
export interface TestPostgres {
  /** `postgresql://aegis@127.0.0.1:PORT`: append `/dbname`. */
  baseUrl: string;
  /** A connection URL to a fresh, empty database (each call creates one). */
  newDatabase(): Promise<string>;
  stop(): void;
}

/** Creates the database `name` on the server at `baseUrl` and returns its connection URL. */
export async function createDatabase(baseUrl: string, name: string): Promise<string> {
  const c = new pg.Client({ connectionString: `${baseUrl}/postgres` });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  return `${baseUrl}/${name}`;
}

/** The newest Debian PostgreSQL server binaries, or null when the `postgresql` package is not installed. */
export function postgresBinDir(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : null;
}

/** Why PostgreSQL tests cannot run here (printed by the suites that skip), or null when they can. */
export function postgresUnavailable(): string | null {
  if (!postgresBinDir()) return "PostgreSQL server binaries not found (apt-get install postgresql)";
  if (userInfo().uid === 0 && !hasUser("postgres"))
    return "running as root and there is no 'postgres' user for the server to run as";
  return null;
}

function hasUser(name: string): boolean {
  return spawnSync("id", ["-u", name]).status === 0;
}

/**
 * initdb into a temp dir and start the server on a free 127.0.0.1 port. PostgreSQL refuses to run as root, so
 * as root the cluster belongs to (and runs as) the `postgres` user the Debian package creates.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const why = postgresUnavailable();
  if (!bin || why) throw new Error(why ?? "no PostgreSQL");
  const dir = mkdtempSync(join(tmpdir(), "aegis-pg-"));
  const asRoot = userInfo().uid === 0;
  const run = (cmd: string, args: string[]) =>
    asRoot
      ? execFileSync("runuser", ["-u", "postgres", "--", join(bin, cmd), ...args], { stdio: "pipe" })
      : execFileSync(join(bin, cmd), args, { stdio: "pipe" });
  if (asRoot) {
    const { uid, gid } = { uid: Number(idOf("-u")), gid: Number(idOf("-g")) };
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const data = join(dir, "data");
  run("initdb", ["-D", data, "-U", "aegis", "--auth=trust", "-E", "UTF8", "--no-instructions"]);
  const port = await freePort();
  // Loopback only, socket in the temp dir; fsync off: the cluster is thrown away (AegisOps processes are the
  // ones killed in tests, never the server).
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=200`;
  run("pg_ctl", ["-D", data, "-l", join(dir, "server.log"), "-o", opts, "-w", "start"]);
  const base = `postgresql://aegis@127.0.0.1:${port}`;
  await waitFor(
    async () => {
      const c = new pg.Client({ connectionString: `${base}/postgres` });
      try {
        await c.connect();
        return true;
      } finally {
        await c.end().catch(() => {});
      }
    },
    { what: "PostgreSQL to accept connections", timeoutMs: 20_000 },
  );
  let n = 0;
  return {
    baseUrl: base,
    async newDatabase() {
      return createDatabase(base, `aegis_${process.pid}_${++n}`);
    },
    stop() {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };

  function idOf(flag: string): string {
    return execFileSync("id", [flag, "postgres"]).toString().trim();
  }
}
