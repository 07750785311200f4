import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";

/** A child process this lab started, stopped by its own PID only. */
export interface Managed {
  pid: number | undefined;
  stop(): Promise<void>;
}

/** Spawn a long-running binary with its output in `logFile`; `stop()` sends SIGTERM, then SIGKILL after 5 s. */
export function spawnManaged(command: string, args: string[], logFile: string): Managed {
  const log = createWriteStream(logFile, { flags: "a" });
  const child: ChildProcess = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("error", (err) => log.write(`spawn failed: ${err.message}\n`));
  return {
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      log.end();
    },
  };
}

/** A loopback port that was free a moment ago. */
export { freeLoopbackPort as freePort } from "../../core/ports.ts";

/** Poll until `fn` returns a truthy value, the deadline passes, or `signal` aborts. */
export async function pollUntil<T>(
  fn: () => Promise<T>,
  timeoutMs: number,
  what: string,
  signal?: AbortSignal,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    if (signal?.aborted) throw new Error(`interrupted while waiting for ${what}`);
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${String(last)})` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
