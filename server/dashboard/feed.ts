import type { IncidentSummary } from "../../core/types.ts";
import type { IncidentRepository } from "../../store/incidentRepository.ts";

/** Told which incidents changed (newest first). */
export type FeedListener = (changed: IncidentSummary[]) => void;

/** Live changes to recent incidents, for the dashboard's server-sent events. */
export interface IncidentFeed {
  /** Start listening; the returned function stops. The first listener starts the polling, the last stops it. */
  subscribe(listener: FeedListener): () => void;
  /** Resolves once the feed has looked at the incidents since the newest subscription began. */
  ready(): Promise<void>;
  /** Stop polling for good (server shutdown). */
  close(): void;
}

/**
 * Polls the newest incidents' summaries (bounded: no timelines, no evidence) and reports those whose row or
 * progress moved: status, alerts, decision, action, verification. Polling (not hooks in every writer) sees
 * every change whichever connection made it: the webhook's and the agent's.
 */
export function createIncidentFeed(opts: {
  incidents: IncidentRepository;
  intervalMs?: number;
  /** How many of the newest incidents are watched. */
  window?: number;
  onError?: (err: unknown) => void;
}): IncidentFeed {
  const intervalMs = opts.intervalMs ?? 500;
  const window = opts.window ?? 100;
  const listeners = new Set<FeedListener>();
  let seen: Map<string, string> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let firstLook: Promise<void> = Promise.resolve();

  const poll = (): Promise<void> => (polling ??= look().finally(() => (polling = undefined)));
  const look = async () => {
    try {
      const recent = await opts.incidents.listSummaries({ limit: window });
      const next = new Map(recent.map((i) => [i.id, fingerprint(i)]));
      const changed = seen ? recent.filter((i) => seen!.get(i.id) !== next.get(i.id)) : [];
      seen = next;
      if (changed.length > 0) for (const l of listeners) l(changed);
    } catch (err) {
      opts.onError?.(err);
    }
  };

  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    seen = undefined;
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (!timer) {
        firstLook = poll();
        timer = setInterval(() => void poll(), intervalMs);
        timer.unref();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stop();
      };
    },
    ready: () => firstLook,
    close() {
      listeners.clear();
      stop();
    },
  };
}

function fingerprint(i: IncidentSummary): string {
  return [
    i.status,
    i.statusReason,
    i.alertCount,
    i.alertnames.join(","),
    i.decision?.action,
    i.decidedAt,
    i.actedAt,
    i.verifiedAt,
    i.resolvedAt,
    JSON.stringify(i.target),
  ].join("|");
}
