import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { getPriority, setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { describeError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { AGENT_SOCKET_NAME, createSocketDirectory } from "./socketDirectory.ts";

/** What the front process tells the agent process, and what the agent answers. */
export type ToAgent = { type: "enqueue"; ids: string[] };
export type FromAgent = { type: "ready" };

/** The command line the agent process runs: `aegis serve --agent-child`, with the agent's socket path. */
export const AGENT_CHILD_FLAG = "--agent-child";
/** This start of the agent process (a fresh name each start), and the start before it, which has exited. */
export const AGENT_INSTANCE_FLAG = "--agent-instance";
export const AGENT_PREDECESSOR_FLAG = "--agent-predecessor";

export interface AgentProcessOptions {
  /** The script that runs the CLI (process.argv[1] of `aegis serve`). */
  script: string;
  /** The agent's environment (the parent's, with AEGIS_REPLICA_ID pinned so its name survives restarts). */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /**
   * Where the socket's private directory may go, in order (default: the temp directory). The first that takes
   * it wins; a Unix socket path must stay short (about 100 bytes).
   */
  socketParents?: string[];
  /** First wait before a restart after the agent died; doubles up to 30 s while it keeps dying at once. */
  restartDelayMs?: number;
  /** The agent's niceness above this process's (0: the same CPU priority); capped at 19. */
  niceIncrement?: number;
}

/**
 * Runs and supervises the agent side of `aegis serve` in a child process on the same store: the webhook's
 * event loop (this process) never runs the agent's graph, checkpoints or platform calls. The child listens on a
 * Unix socket in a private directory (mode 0700) for everything but the webhook, which the front proxies to it.
 * When the child dies (crash, kill -9) it is started again; what it was doing is resumed from the store, as
 * after any crash. When this process dies the child sees its IPC channel close and shuts down.
 */
export class AgentProcess {
  /** The agent's HTTP socket; requests can be proxied to it while `ready`. */
  readonly socketPath: string;
  private readonly dir: string;
  private child: ChildProcess | undefined;
  private ready = false;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private delayMs: number;
  private startedAt = 0;
  private readonly log: Logger;
  private readyWaiters: Array<() => void> = [];
  /** The name of the running (or last) start, and of the start before it. */
  private instance: string | undefined;

  constructor(private readonly options: AgentProcessOptions) {
    this.dir = createSocketDirectory(options.socketParents ?? [tmpdir()]);
    this.socketPath = join(this.dir, AGENT_SOCKET_NAME);
    this.delayMs = options.restartDelayMs ?? 500;
    this.log = options.logger.child({ module: "agent-process" });
  }

  /** Whether the agent process is up and listening. */
  isReady(): boolean {
    return this.ready;
  }

  /** The agent process's pid while it runs (reported by /healthz, for operators and tests). */
  pid(): number | undefined {
    return this.child?.pid;
  }

  /** Resolves once the agent process listens (after a start or a restart). */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  start(): void {
    this.spawn(this.options.env);
  }

  /**
   * Hand incidents to the agent. Never throws: while the agent is down they stay in the store, and the agent
   * picks up every unfinished incident when it starts (and on its periodic sweep).
   */
  enqueue(ids: string[]): void {
    const child = this.child;
    if (!this.ready || !child?.connected) return;
    child.send({ type: "enqueue", ids } satisfies ToAgent, (err) => {
      if (err)
        this.log.debug(
          { err: describeError(err) },
          "hand-over to the agent process lost; its sweep finds it",
        );
    });
  }

  /** Stop the agent process (SIGTERM: it finishes runs in flight, bounded) and wait for it to exit. */
  async stop(graceMs = 20_000): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const cut = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(cut);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Under a storm the front (the webhook) and the agent want the same cores; the agent's work can wait a few
   * milliseconds, an Alertmanager waiting for its 202 should not. Raising a child's niceness needs no privilege.
   */
  private lowerPriority(child: ChildProcess): void {
    const increment = this.options.niceIncrement ?? 0;
    if (increment <= 0 || child.pid === undefined) return;
    try {
      setPriority(child.pid, Math.min(19, getPriority() + increment));
    } catch (err) {
      this.log.warn({ err: describeError(err) }, "could not lower the agent process's CPU priority");
    }
  }

  private spawn(env: NodeJS.ProcessEnv): void {
    rmSync(this.socketPath, { force: true });
    this.startedAt = Date.now();
    // Spawned only once the previous start has exited: it is dead, so the new one may take its leases back at
    // once (store/openStore.ts); no two live processes ever hold one name.
    const predecessor = this.instance;
    this.instance = randomBytes(4).toString("hex");
    const args = ["serve", AGENT_CHILD_FLAG, this.socketPath, AGENT_INSTANCE_FLAG, this.instance];
    if (predecessor) args.push(AGENT_PREDECESSOR_FLAG, predecessor);
    const child = fork(this.options.script, args, { env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.child = child;
    this.lowerPriority(child);
    child.on("message", (msg: FromAgent) => {
      if (msg?.type !== "ready") return;
      this.ready = true;
      this.log.info({ pid: child.pid }, "agent process ready");
      for (const resolve of this.readyWaiters.splice(0)) resolve();
    });
    child.on("error", (err) => this.log.error({ err: describeError(err) }, "agent process error"));
    child.once("exit", (code, signal) => {
      this.ready = false;
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      // Kept alive a while: the next death starts the back-off from the beginning again.
      if (Date.now() - this.startedAt > 60_000) this.delayMs = this.options.restartDelayMs ?? 500;
      this.log.error(
        { code, signal, restartInMs: this.delayMs },
        "the agent process died; restarting it (its incidents resume from the store; webhooks are still accepted)",
      );
      // A test crash point fires once per `aegis serve`, not on every restart.
      const { AEGIS_TEST_CRASH_AT: _crash, ...rest } = env;
      this.restartTimer = setTimeout(() => this.spawn(rest), this.delayMs);
      this.delayMs = Math.min(this.delayMs * 2, 30_000);
    });
  }
}
