import type { Logger } from "../core/logger.ts";
import type { Incident } from "../core/types.ts";

/** Tells people what happened. The Slack app provides one; the default only logs. */
export interface Notifier {
  notify(incident: Incident): Promise<void>;
}

/** A notifier that writes one structured log line per finished incident. */
export class LogNotifier implements Notifier {
  constructor(private readonly logger: Logger) {}

  async notify(incident: Incident): Promise<void> {
    this.logger.info(
      {
        incident: incident.id,
        status: incident.status,
        target: incident.target.key,
        action: incident.decision?.action ?? null,
        reason: incident.statusReason,
        summary: incident.decision?.summary ?? null,
        mttrMs: incident.mttrMs,
      },
      `incident ${incident.id} ${incident.status}`,
    );
  }
}
