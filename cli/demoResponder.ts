import type { Config } from "../core/config.ts";
import type { Logger } from "../core/logger.ts";
import type { Responder } from "../lab/demo/runDemo.ts";
import { startServer } from "../server/listen.ts";
import { createAegis } from "./compose.ts";

/**
 * AegisOps as the demo runs it: auto mode, its own database, PROMETHEUS_URL pointed at the lab's
 * Prometheus, no webhook token, listening on a free loopback port.
 */
export function demoResponder(base: Readonly<Config>, logger: Logger) {
  return async ({ prometheusUrl, dbPath }: { prometheusUrl: string; dbPath: string }): Promise<Responder> => {
    const config = Object.freeze({
      ...base,
      dbPath,
      mode: "auto" as const,
      prometheusUrl,
      policyPath: undefined,
      verifyTimeoutMs: 20_000,
      webhookToken: undefined,
    });
    const aegis = await createAegis(config, { logger, verifyIntervalMs: 100, sweepIntervalMs: 1000 });
    const server = await startServer(aegis.app, "127.0.0.1", 0);
    await aegis.runner.start();
    return {
      url: server.url,
      incidents: aegis.incidents,
      async stop() {
        await server.close(1000);
        await aegis.close();
      },
    };
  };
}
