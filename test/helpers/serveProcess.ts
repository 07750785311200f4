import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { waitFor } from "./docker.ts";

const BIN = fileURLToPath(new URL("../../bin/aegis.js", import.meta.url));

/** `aegis serve` as its own process, as a user runs it. */
export interface ServeProcess {
  child: ChildProcess;
  /** Resolves with the signal that ended the process (null for a normal exit). */
  exited: Promise<string | null>;
  stderr(): string;
  /**
   * SIGKILL the whole replica, as when its pod or host dies: the agent process (AEGIS_AGENT_PROCESS=separate)
   * first, so it cannot shut down cleanly when it sees the front go, then the front. Resolves once the front
   * exited.
   */
  killReplica(): Promise<string | null>;
}

/** The agent process `aegis serve` started (its child whose command line carries the internal flag). */
export function agentPid(servePid: number): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== servePid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("--agent-child")) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

/**
 * Start `aegis serve` with this environment (AEGIS_PORT required) and wait until /healthz answers, or until a
 * signal ends the process (read `exited`).
 */
export async function serveProcess(
  env: Record<string, string>,
  children: ChildProcess[],
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, "serve"], {
    env: { ...process.env, AEGIS_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.push(child);
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<string | null>((resolve) =>
    child.on("exit", (_code, signal) => resolve(signal)),
  );
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`aegis serve exited: ${stderr}`);
      // Killed by a signal (a test's crash point can fire while the resumed run starts, before the first
      // /healthz answer): nothing will answer; the caller reads `exited`.
      if (child.signalCode !== null) return true;
      return (await fetch(`http://127.0.0.1:${env.AEGIS_PORT}/healthz`)).ok;
    },
    { what: "aegis serve to answer", timeoutMs: 60_000 },
  );
  const killReplica = (): Promise<string | null> => {
    const agent = child.pid === undefined ? undefined : agentPid(child.pid);
    if (agent !== undefined) {
      try {
        process.kill(agent, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    return exited;
  };
  return { child, exited, stderr: () => stderr, killReplica };
}
