import { isIP } from "node:net";

/** Whether a listen address only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  return h.startsWith("::ffff:127.");
}

/**
 * What is open to the network when AegisOps listens on `host`: warnings to log loudly at start-up. An open
 * webhook beyond loopback lets anyone on the network open incidents that act on workloads.
 */
export function exposureWarnings(
  host: string,
  config: { webhookToken: string | undefined; apiToken: string | undefined; apiPublic: boolean },
): string[] {
  if (isLoopback(host)) return [];
  const warnings: string[] = [];
  if (!config.webhookToken)
    warnings.push(
      `SECURITY: listening on ${host} without AEGIS_WEBHOOK_TOKEN: anyone who can reach this port can post alerts that make AegisOps act on your workloads. Set AEGIS_WEBHOOK_TOKEN (and Alertmanager's http_config.authorization) or listen on 127.0.0.1.`,
    );
  if (config.apiPublic)
    warnings.push(
      `SECURITY: listening on ${host} with AEGIS_API_PUBLIC=true: anyone who can reach this port can read every incident (targets, evidence, decisions).`,
    );
  return warnings;
}
