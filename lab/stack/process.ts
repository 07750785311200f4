import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, writeFileSync } from "node:fs";
import { join } from "node:path";

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

/** A server this lab started: where it listens and how to stop it. */
export interface RunningServer {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * Start a Prometheus-family server (Prometheus, Alertmanager: the same `--config.file` and `--web.*` flags) on
 * 127.0.0.1:`port`: write `config` to `<dir>/<name>.yml` (JSON is YAML: no templating, no quoting mistakes), log to
 * `<dir>/<name>.log`, and resolve once `/-/ready` answers 200. A server not ready within 30 s is stopped and the
 * wait's error thrown.
 */
export async function startReadyServer(opts: {
  command: string;
  name: string;
  dir: string;
  port: number;
  config: unknown;
  /** Flags of this server besides the config file and the listen address. */
  args: string[];
  what: string;
}): Promise<RunningServer> {
  const file = join(opts.dir, `${opts.name}.yml`);
  writeFileSync(file, JSON.stringify(opts.config, null, 2));
  const url = `http://127.0.0.1:${opts.port}`;
  const proc = spawnManaged(
    opts.command,
    [
      `--config.file=${file}`,
      `--web.listen-address=127.0.0.1:${opts.port}`,
      `--web.external-url=${url}`,
      ...opts.args,
    ],
    join(opts.dir, `${opts.name}.log`),
  );
  try {
    await pollUntil(async () => (await fetch(`${url}/-/ready`)).ok, 30_000, `${opts.what} to be ready`);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { url, pid: proc.pid, stop: () => proc.stop() };
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
