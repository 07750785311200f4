import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** An alert as PagerDuty holds it: one per dedup key while open. */
export interface FakePage {
  dedupKey: string;
  status: "triggered" | "acknowledged" | "resolved";
  summary: string;
  severity: string;
  /** Trigger events received for it (PagerDuty folds repeats into the open alert). */
  triggers: number;
}

/**
 * A local PagerDuty Events API v2 (`POST /v2/enqueue`): validates the event as PagerDuty documents it
 * (routing key of 32 characters, event_action, payload.summary/source/severity on trigger), answers 202
 * `{status: "success", dedup_key}` or 400 `{status: "invalid event", errors}`, and deduplicates triggers by
 * dedup key while the alert is open. `failNext` makes the next calls answer 429 (rate limited).
 */
export interface FakePagerDuty {
  eventsUrl: string;
  events: Array<Record<string, unknown>>;
  pages: Map<string, FakePage>;
  /** Pages triggered, counting each open alert once. */
  pagedCount(): number;
  failNext(n: number): void;
  close(): Promise<void>;
}

export async function startFakePagerDuty(routingKey: string): Promise<FakePagerDuty> {
  const events: Array<Record<string, unknown>> = [];
  const pages = new Map<string, FakePage>();
  let paged = 0;
  let failing = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.method !== "POST" || req.url !== "/v2/enqueue") return reply(404, { status: "not found" });
      if (failing > 0) {
        failing--;
        return reply(429, {
          status: "throttle event",
          message: "Requests for this service are arriving too quickly",
        });
      }
      let e: Record<string, unknown>;
      try {
        e = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      } catch {
        return reply(400, {
          status: "invalid event",
          message: "Event object is invalid",
          errors: ["invalid JSON"],
        });
      }
      events.push(e);
      const errors: string[] = [];
      if (e.routing_key !== routingKey || String(e.routing_key).length !== 32)
        errors.push("'routing_key' is invalid");
      const action = e.event_action;
      if (!["trigger", "acknowledge", "resolve"].includes(String(action)))
        errors.push("'event_action' is invalid");
      const payload = (e.payload ?? {}) as Record<string, unknown>;
      if (action === "trigger") {
        if (typeof payload.summary !== "string" || payload.summary.length > 1024)
          errors.push("'payload.summary' is invalid");
        if (typeof payload.source !== "string") errors.push("'payload.source' is missing");
        if (!["critical", "error", "warning", "info"].includes(String(payload.severity)))
          errors.push("'payload.severity' is invalid");
      } else if (typeof e.dedup_key !== "string") errors.push("'dedup_key' is required");
      if (errors.length > 0)
        return reply(400, { status: "invalid event", message: "Event object is invalid", errors });
      const key = typeof e.dedup_key === "string" ? e.dedup_key : `key-${events.length}`;
      const open = pages.get(key);
      if (action === "trigger") {
        if (open && open.status !== "resolved") open.triggers++;
        else {
          paged++;
          pages.set(key, {
            dedupKey: key,
            status: "triggered",
            summary: String(payload.summary),
            severity: String(payload.severity),
            triggers: 1,
          });
        }
      } else if (open && open.status !== "resolved") {
        open.status = action === "resolve" ? "resolved" : "acknowledged";
      }
      reply(202, { status: "success", message: "Event processed", dedup_key: key });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    eventsUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/enqueue`,
    events,
    pages,
    pagedCount: () => paged,
    failNext: (n) => {
      failing = n;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
