import type { Policy } from "../agent/policy/schema.ts";
import type { Incident } from "../core/types.ts";

/**
 * The channel for an incident's messages: its service's channel, else the channel of its alerts' severity,
 * else the policy's default channel, else SLACK_CHANNEL. Undefined when none is configured.
 */
export function channelFor(
  incident: Incident,
  policy: Policy,
  fallback: string | undefined,
): string | undefined {
  for (const a of incident.alerts) {
    const service = a.labels.service;
    const own = service ? policy.services[service]?.channel : undefined;
    if (own) return own;
  }
  for (const a of incident.alerts) {
    const bySeverity = a.labels.severity ? policy.notifications.bySeverity[a.labels.severity] : undefined;
    if (bySeverity) return bySeverity;
  }
  return policy.notifications.channel ?? fallback;
}
