import { Command } from "commander";
import { loadConfig } from "../core/config.ts";
import { AegisError } from "../core/errors.ts";
import { createLogger } from "../core/logger.ts";
import { exposureWarnings } from "../server/exposure.ts";
import { startServer } from "../server/listen.ts";
import { createAegis } from "../app/compose.ts";
import { installProcessGuard } from "./processGuard.ts";

/** `aegis serve`: the webhook server and the agent's workers. */
export function serveCommand(): Command {
  return new Command("serve")
    .description(
      "receive Alertmanager webhooks and respond to incidents (configured by environment; see .env.example)",
    )
    .option("--host <host>", "listen address (AEGIS_HOST, default 127.0.0.1)")
    .option("--port <port>", "listen port (AEGIS_PORT, default 8080)")
    .action(async (opts: { host?: string; port?: string }) => {
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel });
      const aegis = await createAegis(config, { logger });
      installProcessGuard(logger.child({ module: "process" }), (err) => aegis.runner.failStray(err));
      const host = opts.host ?? config.host;
      const port = opts.port !== undefined ? Number(opts.port) : config.port;
      const server = await startServer(aegis.app, host, port).catch(async (err: NodeJS.ErrnoException) => {
        await aegis.close();
        if (err.code === "EADDRINUSE" || err.code === "EACCES") {
          throw new AegisError(
            "config_invalid",
            `cannot listen on ${host}:${port}: ${err.code === "EADDRINUSE" ? "address already in use" : "permission denied"} (set AEGIS_PORT or --port)`,
          );
        }
        throw err;
      });
      await aegis.start();
      for (const warning of exposureWarnings(host, config)) logger.warn({ host, security: true }, warning);
      logger.info(
        { host, port: server.port, mode: config.mode, planner: aegis.plannerName, db: config.dbPath },
        `aegis listening on http://${host}:${server.port} (mode ${config.mode})`,
      );

      let closing = false;
      const shutdown = async (sig: string) => {
        if (closing) return;
        closing = true;
        logger.info({ signal: sig }, "shutting down: no new alerts; finishing runs in flight");
        await server.close();
        await aegis.close();
        process.exit(0);
      };
      process.on("SIGINT", () => void shutdown("SIGINT"));
      process.on("SIGTERM", () => void shutdown("SIGTERM"));
    });
}
