import type { RuntimeSettings } from "../../store/runtimeSettings.ts";
import type { Policy, PolicyMode } from "./schema.ts";

/** Runtime settings kind of a service's mode set by a person (`/aegis mode`). */
export const SERVICE_MODE = "service_mode";

/**
 * Put a service's mode into the running policy (and keep it across restarts): it takes precedence over the
 * file's `services.<name>.mode` until changed again.
 */
export async function setServiceMode(
  policy: Policy,
  settings: RuntimeSettings,
  service: string,
  mode: PolicyMode,
  by: string,
): Promise<void> {
  await settings.set(SERVICE_MODE, service, mode, by);
  policy.services[service] = { ...policy.services[service], mode };
}

/** At start-up: the modes people set at run time win over the policy file's. */
export async function applyModeOverrides(policy: Policy, settings: RuntimeSettings): Promise<void> {
  for (const s of await settings.list<PolicyMode>(SERVICE_MODE)) {
    policy.services[s.key] = { ...policy.services[s.key], mode: s.value };
  }
}
