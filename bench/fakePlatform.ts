import type { Platform } from "../agent/platforms/platform.ts";
import { signal } from "../agent/signals.ts";
import { instantDockerPlatform } from "../test/helpers/instantPlatform.ts";

/**
 * A platform whose tools answer at once, so a benchmark measures AegisOps' own orchestration
 * (webhook, queue, graph, checkpoints, planner, guard, ledger) and not the Docker engine.
 */
export function instantPlatform(onExecute: (target: string) => void): Platform {
  return instantDockerPlatform("instant", {
    async investigate() {
      return {
        collectedAt: new Date().toISOString(),
        signals: [
          signal("http_errors", 5, "5 server-error log lines"),
          signal("health_failing", 500, "answered 500"),
        ],
        observations: {},
        errors: [],
      };
    },
    async execute(decision) {
      onExecute(decision.target);
      return { restarted: true };
    },
  });
}
