import type { Config } from "../core/config.ts";
import type { Logger } from "../core/logger.ts";
import type { Responder } from "../lab/demo/runDemo.ts";
import { startServer } from "../server/listen.ts";
import { createAegis } from "./compose.ts";
import { policySchema, type Policy } from "../agent/policy/schema.ts";

/** The built-in policy plus one exhaustion series on the demo container's memory, at the lab's 1 s pace. */
function predictivePolicy(p: { container: string; limitBytes: number }): Policy {
  return policySchema.parse({
    predictive: {
      intervalSeconds: 1,
      stepSeconds: 1,
      lookbackMinutes: 3,
      series: [
        {
          name: "memory",
          kind: "exhaustion",
          query: `process_resident_memory_bytes{container="${p.container}"}`,
          limit: p.limitBytes,
          unit: "bytes",
          family: "memory_leak",
          windowMinutes: 1,
          minRampMinutes: 0.4,
          horizonMinutes: 10,
        },
      ],
    },
  });
}

/**
 * AegisOps as the demo runs it: auto mode, its own database, PROMETHEUS_URL pointed at the lab's
 * Prometheus, no webhook token, listening on a free loopback port.
 */
export function demoResponder(base: Readonly<Config>, logger: Logger) {
  return async ({
    prometheusUrl,
    dbPath,
    predictive,
  }: {
    prometheusUrl: string;
    dbPath: string;
    predictive?: { container: string; limitBytes: number };
  }): Promise<Responder> => {
    const config = Object.freeze({
      ...base,
      dbPath,
      mode: "auto" as const,
      prometheusUrl,
      policyPath: undefined,
      verifyTimeoutMs: 20_000,
      webhookToken: undefined,
    });
    const aegis = await createAegis(config, {
      logger,
      verifyIntervalMs: 100,
      sweepIntervalMs: 1000,
      ...(predictive ? { policy: predictivePolicy(predictive) } : {}),
    });
    const server = await startServer(aegis.app, "127.0.0.1", 0);
    await aegis.runner.start();
    aegis.watcher?.start();
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
