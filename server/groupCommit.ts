import type { IncidentRepository, IncomingAlert, IngestOutcome } from "../store/incidentRepository.ts";

/** Ingest for the webhook: same contract as `IncidentRepository.ingest`, with commits shared. */
export interface GroupIngest {
  /** Resolves once this notification's alerts are committed, with one outcome per alert, in order. */
  ingest(alerts: IncomingAlert[]): Promise<IngestOutcome[]>;
}

interface Waiting {
  alerts: IncomingAlert[];
  resolve(outcomes: IngestOutcome[]): void;
  reject(err: unknown): void;
}

/** Most alerts written in one transaction: bounds how long one commit holds the event loop. */
export const DEFAULT_MAX_BATCH_ALERTS = 2000;

/** Most batches between their transaction's start and their commit being durable, at once. */
export const DEFAULT_MAX_IN_FLIGHT = 4;

/**
 * Group commit. A durable commit waits for the disk (an fsync), so commit-per-request caps the webhook at one
 * flush per notification. Notifications whose bodies arrive in the same event-loop turn are written in one
 * `ingest` call instead: one transaction, in arrival order, so grouping and dedupe come out exactly as if they
 * had been written one by one. Batches are pipelined: while one waits for its flush, the next turn's
 * notifications are read and written (up to `maxInFlight` batches at once), and the store lets one flush cover
 * the commits before it. Nobody is answered before the transaction holding their alerts is committed and
 * durable. A notification is only ever batched with others that arrived while it waited, so one that follows
 * another's reply is written after it. If a shared transaction fails, each notification is retried alone, so
 * one bad notification fails only its own request.
 */
export function groupCommit(
  incidents: IncidentRepository,
  options: { maxBatchAlerts?: number; maxInFlight?: number; now?: () => Date } = {},
): GroupIngest {
  const maxAlerts = options.maxBatchAlerts ?? DEFAULT_MAX_BATCH_ALERTS;
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  const now = options.now ?? (() => new Date());
  let queue: Waiting[] = [];
  let scheduled = false;
  let inFlight = 0;

  const schedule = () => {
    if (scheduled || inFlight >= maxInFlight || queue.length === 0) return;
    scheduled = true;
    // setImmediate runs after the poll phase, i.e. after every request body that arrived this turn.
    setImmediate(flush);
  };

  const flush = () => {
    scheduled = false;
    const batch = takeBatch();
    if (batch.length === 0) return;
    inFlight++;
    void writeBatch(batch).finally(() => {
      inFlight--;
      schedule();
    });
    // More than one batch's worth was waiting (the alert cap).
    schedule();
  };

  const takeBatch = (): Waiting[] => {
    let alerts = 0;
    let n = 0;
    while (n < queue.length && (n === 0 || alerts + queue[n]!.alerts.length <= maxAlerts)) {
      alerts += queue[n]!.alerts.length;
      n++;
    }
    const batch = queue.slice(0, n);
    queue = queue.slice(n);
    return batch;
  };

  const writeBatch = async (batch: Waiting[]) => {
    const receivedAt = now().toISOString();
    if (batch.length > 1) {
      let outcomes: IngestOutcome[] | undefined;
      try {
        outcomes = await incidents.ingest(
          batch.flatMap((w) => w.alerts),
          receivedAt,
        );
      } catch {
        // Rolled back as a whole: fall through and write each notification on its own.
      }
      if (outcomes) {
        let at = 0;
        for (const w of batch) {
          w.resolve(outcomes.slice(at, at + w.alerts.length));
          at += w.alerts.length;
        }
        return;
      }
    }
    for (const w of batch) {
      try {
        w.resolve(await incidents.ingest(w.alerts, receivedAt));
      } catch (err) {
        w.reject(err);
      }
    }
  };

  return {
    ingest(alerts) {
      return new Promise((resolve, reject) => {
        queue.push({ alerts, resolve, reject });
        schedule();
      });
    },
  };
}
