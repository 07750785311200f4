import type { V1ObjectMeta } from "@kubernetes/client-node";
import type { Policy } from "../../policy/schema.ts";

/**
 * Why an object must not be touched now: one of the policy's change-freeze annotations (or labels) is set on it to
 * anything but "false". Undefined when it is not frozen.
 */
export function frozenBy(
  policy: Policy | undefined,
  meta: V1ObjectMeta | undefined,
  what: string,
): string | undefined {
  for (const key of policy?.changeFreeze.annotations ?? []) {
    const value = meta?.annotations?.[key] ?? meta?.labels?.[key];
    if (value !== undefined && value.toLowerCase() !== "false")
      return `change freeze: ${what} carries ${key}=${JSON.stringify(value)} (policy changeFreeze.annotations); no action while it is set`;
  }
  return undefined;
}
