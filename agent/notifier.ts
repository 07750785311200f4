import type { Logger } from "../core/logger.ts";
import { describeError } from "../core/errors.ts";
import type { Incident } from "../core/types.ts";

/** Tells people what happened. The Slack app provides one; the default only logs. */
export interface Notifier {
  notify(incident: Incident): Promise<void>;
  /** An incident waits for approval (status `awaiting_approval`); may be called again after a crash. */
  approvalRequested?(incident: Incident): Promise<void>;
  /** A person undid (or tried to undo) the incident's action: show its new state where the incident was told. */
  undone?(incident: Incident): Promise<void>;
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

/** Tells every notifier in turn (the log, Slack, the pager); one failing does not silence the others. */
export class FanOutNotifier implements Notifier {
  constructor(private readonly notifiers: Notifier[]) {}

  async notify(incident: Incident): Promise<void> {
    await this.each((n) => n.notify(incident));
  }

  async approvalRequested(incident: Incident): Promise<void> {
    await this.each((n) => n.approvalRequested?.(incident) ?? Promise.resolve());
  }

  async undone(incident: Incident): Promise<void> {
    await this.each((n) => n.undone?.(incident) ?? Promise.resolve());
  }

  private async each(fn: (n: Notifier) => Promise<void>): Promise<void> {
    const failures: unknown[] = [];
    for (const n of this.notifiers) {
      try {
        await fn(n);
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, failures.map(describeError).join("; "));
  }
}
