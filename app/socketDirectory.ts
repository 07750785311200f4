import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { AegisError, describeError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";

/** The agent's socket inside its directory. */
export const AGENT_SOCKET_NAME = "agent.sock";

const PREFIX = "aegis-agent-";
/** `aegis-agent-<front's pid>-XXXXXX`: the directory names the process that made it. */
const OWNED = /^aegis-agent-(\d+)-[A-Za-z0-9]{6}$/;
/** `aegis-agent-XXXXXX`, as versions before the pid was in the name made them. */
const UNNAMED = /^aegis-agent-[A-Za-z0-9]{6}$/;
/** An unnamed directory is a leftover only when nothing has touched it for this long. */
const UNNAMED_IDLE_MS = 60 * 60_000;

/**
 * A private (0700) directory for the agent's socket under the first parent that takes one, named after this
 * process so that a later start can tell a leftover (its process gone) from a live one.
 */
export function createSocketDirectory(parents: string[]): string {
  const failures: string[] = [];
  for (const parent of parents) {
    const prefix = join(parent, `${PREFIX}${process.pid}-`);
    // mkdtemp adds 6 characters; the socket's name and a separator 11 more.
    if (Buffer.byteLength(prefix) + 17 > 100) {
      failures.push(`${parent}: path too long for a Unix socket`);
      continue;
    }
    try {
      return mkdtempSync(prefix);
    } catch (err) {
      failures.push(`${parent}: ${describeError(err)}`);
    }
  }
  throw new AegisError(
    "config_invalid",
    `cannot create the agent process's socket directory (${failures.join("; ")}): mount a writable /tmp ` +
      "(e.g. docker run --tmpfs /tmp) or set AEGIS_AGENT_PROCESS=inline",
  );
}

/**
 * Remove the socket directories an `aegis serve` killed with -9 left behind: ours (same user), whose front
 * process is gone and whose socket nobody listens on. Both must hold, so a live agent's directory is never
 * touched, not even one whose front runs in another PID namespace on a shared /tmp. A directory from an older
 * version (no pid in its name) goes when its socket is dead and nothing touched it for an hour. Returns the
 * directories removed.
 */
export async function removeStaleSocketDirectories(parents: string[], log: Logger): Promise<string[]> {
  const removed: string[] = [];
  for (const parent of new Set(parents)) {
    let names: string[];
    try {
      names = readdirSync(parent).filter((n) => n.startsWith(PREFIX));
    } catch {
      continue;
    }
    for (const name of names) {
      const dir = join(parent, name);
      try {
        if (!(await isStale(dir, name))) continue;
        rmSync(dir, { recursive: true, force: true });
        removed.push(dir);
      } catch (err) {
        log.debug({ dir, err: describeError(err) }, "left a socket directory alone");
      }
    }
  }
  if (removed.length > 0)
    log.info({ removed: removed.length }, "removed socket directories of agent processes that are gone");
  return removed;
}

async function isStale(dir: string, name: string): Promise<boolean> {
  const st = statSync(dir);
  if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid())) return false;
  const owned = OWNED.exec(name);
  if (owned) {
    const pid = Number(owned[1]);
    if (pid === process.pid || isAlive(pid)) return false;
  } else if (!UNNAMED.test(name) || Date.now() - st.mtimeMs < UNNAMED_IDLE_MS) {
    return false;
  }
  return !(await someoneListens(join(dir, AGENT_SOCKET_NAME)));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, as another user's.
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** Whether a process accepts connections on this Unix socket (a missing or dead socket: no). */
function someoneListens(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (listening: boolean) => {
      socket.destroy();
      resolve(listening);
    };
    socket.once("connect", () => done(true));
    socket.once("error", (err: NodeJS.ErrnoException) =>
      // Refused or missing: nobody. Anything else (a permission problem): assume someone, and keep it.
      done(err.code !== "ECONNREFUSED" && err.code !== "ENOENT"),
    );
    socket.setTimeout(1000, () => done(true));
  });
}
