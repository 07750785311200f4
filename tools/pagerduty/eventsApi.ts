import { z } from "zod";
import { AegisError } from "../../core/errors.ts";

/** One PagerDuty Events API v2 event (https://developer.pagerduty.com/docs/events-api-v2/overview/). */
export type PagerEvent =
  | {
      event_action: "trigger";
      dedup_key: string;
      payload: {
        summary: string;
        source: string;
        severity: "critical" | "error" | "warning" | "info";
        timestamp?: string;
        component?: string;
        group?: string;
        class?: string;
        custom_details?: Record<string, unknown>;
      };
      links?: Array<{ href: string; text: string }>;
      client?: string;
    }
  | { event_action: "acknowledge" | "resolve"; dedup_key: string };

const answerSchema = z.object({
  status: z.string(),
  message: z.string().optional(),
  dedup_key: z.string().optional(),
});

/** Attempts for a rate-limited (429) or failing (5xx) enqueue; a 400 is not retried. */
const ATTEMPTS = 3;

/**
 * Send one event to the Events API v2 `enqueue` endpoint with the integration's routing key. Retries 429 and
 * 5xx with back-off, as PagerDuty asks; returns the dedup key PagerDuty keeps the alert under.
 */
export async function sendPagerEvent(
  opts: { eventsUrl: string; routingKey: string; timeoutMs?: number; sleep?: (ms: number) => Promise<void> },
  event: PagerEvent,
): Promise<string> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const body = JSON.stringify({ routing_key: opts.routingKey, ...event });
  let last = "";
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    let res: Response;
    try {
      res = await fetch(opts.eventsUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
      });
    } catch (err) {
      last = (err as Error).message;
      if (attempt < ATTEMPTS) await sleep(500 * 2 ** attempt);
      continue;
    }
    if (res.status === 202 || res.ok) {
      const parsed = answerSchema.safeParse(await res.json().catch(() => ({})));
      return parsed.success && parsed.data.dedup_key ? parsed.data.dedup_key : event.dedup_key;
    }
    last = `HTTP ${res.status} ${(await res.text()).slice(0, 200)}`;
    if (res.status !== 429 && res.status < 500) break;
    if (attempt < ATTEMPTS) await sleep(500 * 2 ** attempt);
  }
  throw new AegisError("tool_failed", `PagerDuty ${event.event_action} ${event.dedup_key}: ${last}`);
}
