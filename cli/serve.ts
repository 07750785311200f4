import { tmpdir } from "node:os";
import { dirname, resolve } from "node:path";
import { Command, Option } from "commander";
import { loadPolicy } from "../agent/policy/loadPolicy.ts";
import {
  AGENT_CHILD_FLAG,
  AGENT_INSTANCE_FLAG,
  AGENT_PREDECESSOR_FLAG,
  AgentProcess,
  type ToAgent,
} from "../app/agentProcess.ts";
import { removeStaleSocketDirectories } from "../app/socketDirectory.ts";
import { agentProcessEnv, loadConfig, type Config } from "../core/config.ts";
import { AegisError } from "../core/errors.ts";
import { createLogger, type Logger } from "../core/logger.ts";
import { exposureWarnings } from "../server/exposure.ts";
import { createFront } from "../server/front.ts";
import { createFrontMetricsRegistry } from "../server/metrics.ts";
import { startServer, startSocketServer, type RunningServer } from "../server/listen.ts";
import { openConfiguredStore, type AgentIncarnation } from "../store/openStore.ts";
import { installProcessGuard } from "./processGuard.ts";

/** `aegis serve`: the webhook server and the agent's workers. */
export function serveCommand(): Command {
  return (
    new Command("serve")
      .description(
        "receive Alertmanager webhooks and respond to incidents (configured by environment; see .env.example)",
      )
      .option("--host <host>", "listen address (AEGIS_HOST, default 127.0.0.1)")
      .option("--port <port>", "listen port (AEGIS_PORT, default 8080)")
      // Internal: the agent process `aegis serve` starts beside its webhook front (AEGIS_AGENT_PROCESS=separate).
      .addOption(new Option(`${AGENT_CHILD_FLAG} <socket>`).hideHelp())
      .addOption(new Option(`${AGENT_INSTANCE_FLAG} <name>`).hideHelp())
      .addOption(new Option(`${AGENT_PREDECESSOR_FLAG} <name>`).hideHelp())
      .action(async (opts: ServeOptions) => {
        const config = loadConfig();
        const logger = createLogger({ level: config.logLevel });
        const host = opts.host ?? config.host;
        const port = opts.port !== undefined ? Number(opts.port) : config.port;
        if (opts.agentChild)
          await serveAgentChild(config, logger.child({ process: "agent" }), opts.agentChild, {
            instance: opts.agentInstance,
            predecessor: opts.agentPredecessor,
          });
        else if (config.agentProcess === "inline") await serveInline(config, logger, host, port);
        else await serveFront(config, logger, host, port);
      })
  );
}

interface ServeOptions {
  host?: string;
  port?: string;
  agentChild?: string;
  agentInstance?: string;
  agentPredecessor?: string;
}

/** One process: webhook, API and agent on one event loop (AEGIS_AGENT_PROCESS=inline). */
async function serveInline(config: Readonly<Config>, logger: Logger, host: string, port: number) {
  const { createAegis } = await import("../app/compose.ts");
  const aegis = await createAegis(config, { logger });
  installProcessGuard(logger.child({ module: "process" }), (err) => aegis.runner.failStray(err));
  const server = await listenOrExplain(
    () => startServer(aegis.app, host, port),
    host,
    port,
    () => aegis.close(),
  );
  await aegis.start();
  announce(config, logger, host, server.port);
  onSignals(logger, async () => {
    await server.close();
    await aegis.close();
  });
}

/**
 * The default: this process stores webhooks on an event loop of its own and proxies the rest to the agent
 * process it starts and supervises on the same store (app/agentProcess.ts).
 */
async function serveFront(config: Readonly<Config>, logger: Logger, host: string, port: number) {
  const policy = loadPolicy(config.policyPath);
  const script = process.argv[1];
  if (!script)
    throw new AegisError("config_invalid", "cannot tell which script runs aegis (process.argv[1])");
  // The agent keeps this process's replica name across its restarts (leases, /healthz). Its socket goes in the
  // temp directory, else beside the database (writable wherever AegisOps runs).
  const socketParents = [tmpdir(), dirname(resolve(config.dbPath))];
  // What an `aegis serve` killed with -9 left behind (never a live agent's).
  await removeStaleSocketDirectories(socketParents, logger.child({ module: "agent-process" }));
  const agent = new AgentProcess({
    script,
    env: agentProcessEnv(config),
    logger,
    socketParents,
    niceIncrement: config.agentNice,
  });
  const store = await openConfiguredStore(config).catch(async (err: unknown) => {
    await agent.stop();
    throw err;
  });
  installProcessGuard(logger.child({ module: "process" }), () => undefined);
  const app = createFront({
    config,
    policy,
    incidents: store.ingest,
    agent,
    metrics: createFrontMetricsRegistry(),
    logger,
  });
  const server = await listenOrExplain(
    () => startServer(app, host, port),
    host,
    port,
    async () => {
      await agent.stop();
      await store.close();
    },
  );
  agent.start();
  onSignals(logger, async () => {
    await server.close();
    await agent.stop();
    await store.close();
  });
  // Alerts are accepted (and stored) from here on; the rest of the API answers once the agent is up.
  logger.info({ host, port: server.port }, "accepting alerts; starting the agent process");
  await agent.whenReady();
  announce(config, logger, host, server.port);
}

/** The agent process behind the front: the whole product on a Unix socket, fed incidents over IPC. */
async function serveAgentChild(
  config: Readonly<Config>,
  logger: Logger,
  socketPath: string,
  incarnation: AgentIncarnation,
) {
  // Loaded here, not at the top: the front does not pay for the agent's modules (start-up time and memory).
  const { createAegis } = await import("../app/compose.ts");
  const aegis = await createAegis(config, {
    logger,
    incarnation,
    // A test crash point takes down the whole `aegis serve`, front included, as it would a single process
    // (or, with AEGIS_TEST_CRASH_SCOPE=agent, the agent process alone, which its front restarts).
    crash: () => {
      if (config.testCrashScope === "serve") process.kill(process.ppid, "SIGKILL");
      process.kill(process.pid, "SIGKILL");
    },
  });
  installProcessGuard(logger.child({ module: "process" }), (err) => aegis.runner.failStray(err));
  const server = await startSocketServer(aegis.app, socketPath);
  process.on("message", (msg: ToAgent) => {
    if (msg?.type === "enqueue") aegis.runner.enqueue(msg.ids);
  });
  await aegis.start();
  process.send?.({ type: "ready" });
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await server.close();
    await aegis.close();
    process.exit(0);
  };
  // The front decides when to stop (SIGTERM); a Ctrl-C reaches it too and it stops this process in order.
  process.on("SIGINT", () => undefined);
  process.on("SIGTERM", () => void shutdown());
  // The front is gone (killed): nobody proxies to this process any more.
  process.on("disconnect", () => void shutdown());
}

async function listenOrExplain(
  listen: () => Promise<RunningServer>,
  host: string,
  port: number,
  cleanup: () => Promise<void>,
): Promise<RunningServer> {
  return listen().catch(async (err: NodeJS.ErrnoException) => {
    await cleanup();
    if (err.code === "EADDRINUSE" || err.code === "EACCES") {
      throw new AegisError(
        "config_invalid",
        `cannot listen on ${host}:${port}: ${err.code === "EADDRINUSE" ? "address already in use" : "permission denied"} (set AEGIS_PORT or --port)`,
      );
    }
    throw err;
  });
}

function announce(config: Readonly<Config>, logger: Logger, host: string, port: number): void {
  for (const warning of exposureWarnings(host, config)) logger.warn({ host, security: true }, warning);
  logger.info(
    { host, port, mode: config.mode, db: config.dbPath, agentProcess: config.agentProcess },
    `aegis listening on http://${host}:${port} (mode ${config.mode})`,
  );
}

function onSignals(logger: Logger, close: () => Promise<void>): void {
  let closing = false;
  const shutdown = async (sig: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal: sig }, "shutting down: no new alerts; finishing runs in flight");
    await close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}
