import type { Platform } from "../agent/platforms/platform.ts";
import { signal } from "../agent/signals.ts";

/**
 * A platform whose tools answer at once, so a benchmark measures AegisOps' own orchestration
 * (webhook, queue, graph, checkpoints, planner, guard, ledger) and not the Docker engine.
 */
export function instantPlatform(onExecute: (target: string) => void): Platform {
  return {
    kinds: ["docker_container"],
    actions: ["restart_container", "kill_container", "scale_service"],
    async locate(target) {
      return { ok: true, target, instanceId: `id-${target.key}` };
    },
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
    async reconcile() {
      return { happened: false, detail: "instant platform" };
    },
    async rollback() {
      return { rolledBack: false, detail: "instant platform" };
    },
    async checkHealth() {
      return {
        healthy: true,
        evidence: [{ check: "instant", ok: true, detail: "ok" }],
        checkedAt: new Date().toISOString(),
      };
    },
  };
}
