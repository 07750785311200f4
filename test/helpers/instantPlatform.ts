import type { Platform } from "../../agent/platforms/platform.ts";

/**
 * A fake Docker-like Platform that answers at once: it finds any container target, and after the action there is
 * nothing to reconcile or roll back and the check is healthy (its evidence named `name`; details say "`name`
 * platform"). The caller gives what it investigates and what executing does (and may override the rest).
 */
export function instantDockerPlatform(
  name: string,
  parts: Pick<Platform, "investigate" | "execute"> & Partial<Platform>,
): Platform {
  return {
    kinds: ["docker_container"],
    actions: ["restart_container", "kill_container", "scale_service"],
    async locate(target) {
      return { ok: true, target, instanceId: `id-${target.key}` };
    },
    async reconcile() {
      return { happened: false, detail: `${name} platform` };
    },
    async rollback() {
      return { rolledBack: false, detail: `${name} platform` };
    },
    async checkHealth() {
      return {
        healthy: true,
        evidence: [{ check: name, ok: true, detail: "ok" }],
        checkedAt: new Date().toISOString(),
      };
    },
    ...parts,
  };
}
