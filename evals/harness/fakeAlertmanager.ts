import { createHash, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";

const labels = z.record(z.string(), z.string());

/** What Alertmanager holds when a scenario starts, besides the notifications it delivers. */
export const alertmanagerStateSchema = z
  .object({
    /** Alerts it holds: firing, or resolved (ended `endedAgoMs` before the first notification). */
    alerts: z
      .array(
        z
          .object({
            labels,
            annotations: labels.default({}),
            startsAgoMs: z.number().int().min(0).default(300_000),
            /** Set: the alert resolved that long ago (Alertmanager's API leaves it out). */
            endedAgoMs: z.number().int().min(0).optional(),
          })
          .strict(),
      )
      .default([]),
    /** Silences in force (or expired, with `endsInMs` negative). */
    silences: z
      .array(
        z
          .object({
            matchers: z
              .array(
                z
                  .object({
                    name: z.string(),
                    value: z.string(),
                    isRegex: z.boolean().default(false),
                    isEqual: z.boolean().default(true),
                  })
                  .strict(),
              )
              .min(1),
            createdBy: z.string().default("oncall@example.com"),
            comment: z.string().default("maintenance"),
            startsAgoMs: z.number().int().min(0).default(600_000),
            endsInMs: z.number().int().default(3_600_000),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();
export type AlertmanagerState = z.infer<typeof alertmanagerStateSchema>;

type Matcher = AlertmanagerState["silences"][number]["matchers"][number];

const matches = (m: Matcher, ls: Record<string, string>) => {
  const v = ls[m.name] ?? "";
  const hit = m.isRegex ? new RegExp(`^(?:${m.value})$`).test(v) : v === m.value;
  return m.isEqual ? hit : !hit;
};

/** Alertmanager's fingerprint: a hash of the sorted label set, 16 hex digits. */
const fingerprint = (ls: Record<string, string>) =>
  createHash("sha256")
    .update(
      Object.keys(ls)
        .sort()
        .map((k) => `${k}\u0000${ls[k]}`)
        .join("\u0001"),
    )
    .digest("hex")
    .slice(0, 16);

/** A `name="value"` (or `=~`, `!=`, `!~`) filter matcher of the API's `filter` parameter. */
function parseFilter(f: string): Matcher | null {
  const m = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(f);
  if (!m) return null;
  return {
    name: m[1]!,
    value: JSON.parse(`"${m[3]!}"`) as string,
    isRegex: m[2]!.includes("~"),
    isEqual: !m[2]!.startsWith("!"),
  };
}

export interface FakeAlertmanager {
  url: string;
  /**
   * Records alerts as delivered (a firing notification is held; a resolved one ends). A firing alert that started
   * before the held alert resolved is a late copy of an older notification and changes nothing.
   */
  deliver(alerts: Array<{ labels: Record<string, string>; status: string; startsAt: string }>): void;
  stop(): Promise<void>;
}

/**
 * An Alertmanager API v2 stand-in speaking its wire format (`GET /api/v2/alerts` with `filter`, `active`,
 * `silenced`, `inhibited`, `unprocessed`; `GET|POST /api/v2/silences`; `GET /api/v2/status`), holding a
 * scenario's state on the cluster's clock `now`.
 */
export async function startFakeAlertmanager(
  state: AlertmanagerState,
  now: () => number,
): Promise<FakeAlertmanager> {
  const t0 = now();
  const alerts = new Map<
    string,
    {
      labels: Record<string, string>;
      annotations: Record<string, string>;
      startsAt: number;
      endsAt: number | null;
    }
  >();
  for (const a of state.alerts)
    alerts.set(fingerprint(a.labels), {
      labels: a.labels,
      annotations: a.annotations,
      startsAt: t0 - a.startsAgoMs,
      endsAt: a.endedAgoMs === undefined ? null : t0 - a.endedAgoMs,
    });
  const silences = state.silences.map((s) => ({
    id: randomUUID(),
    matchers: s.matchers,
    createdBy: s.createdBy,
    comment: s.comment,
    startsAt: t0 - s.startsAgoMs,
    endsAt: t0 + s.endsInMs,
  }));
  const silenceState = (s: (typeof silences)[number]) =>
    now() < s.startsAt ? "pending" : now() >= s.endsAt ? "expired" : "active";
  const iso = (ms: number) => new Date(ms).toISOString();

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://am");
    const send = (code: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(code, { "Content-Type": "application/json" });
      res.end(text);
    };
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "GET" && url.pathname === "/api/v2/status")
        return send(200, { cluster: { status: "ready", peers: [] }, versionInfo: { version: "0.27.0" } });
      if (req.method === "GET" && url.pathname === "/api/v2/silences")
        return send(
          200,
          silences.map((s) => ({
            id: s.id,
            matchers: s.matchers,
            createdBy: s.createdBy,
            comment: s.comment,
            startsAt: iso(s.startsAt),
            endsAt: iso(s.endsAt),
            updatedAt: iso(s.startsAt),
            status: { state: silenceState(s) },
          })),
        );
      if (req.method === "POST" && url.pathname === "/api/v2/silences") {
        try {
          const b = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
            matchers: Matcher[];
            startsAt: string;
            endsAt: string;
            createdBy: string;
            comment: string;
          };
          const id = randomUUID();
          silences.push({
            id,
            matchers: b.matchers.map((m) => ({ ...m, isEqual: m.isEqual ?? true })),
            createdBy: b.createdBy,
            comment: b.comment,
            startsAt: Date.parse(b.startsAt),
            endsAt: Date.parse(b.endsAt),
          });
          return send(200, { silenceID: id });
        } catch {
          return send(400, "invalid silence");
        }
      }
      if (req.method === "GET" && url.pathname === "/api/v2/alerts") {
        const flag = (k: string) => url.searchParams.get(k) !== "false";
        const filters = url.searchParams.getAll("filter").map(parseFilter);
        if (filters.some((f) => f === null)) return send(400, "bad matcher format");
        const out = [...alerts.entries()]
          .filter(([, a]) => a.endsAt === null || a.endsAt > now())
          .map(([fp, a]) => {
            const by = silences
              .filter((s) => silenceState(s) === "active" && s.matchers.every((m) => matches(m, a.labels)))
              .map((s) => s.id);
            return {
              fingerprint: fp,
              labels: a.labels,
              annotations: a.annotations,
              startsAt: iso(a.startsAt),
              endsAt: iso(a.endsAt ?? now() + 300_000),
              updatedAt: iso(now()),
              generatorURL: "",
              receivers: [{ name: "aegis" }],
              status: { state: by.length ? "suppressed" : "active", silencedBy: by, inhibitedBy: [] },
            };
          })
          .filter((a) => (a.status.state === "suppressed" ? flag("silenced") : flag("active")))
          .filter((a) => filters.every((f) => matches(f!, a.labels)));
        return send(200, out);
      }
      send(404, "not found");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    deliver(list) {
      for (const a of list) {
        const fp = fingerprint(a.labels);
        const cur = alerts.get(fp);
        if (a.status === "resolved") {
          if (cur) cur.endsAt = now();
        } else if (cur?.endsAt != null && Date.parse(a.startsAt) <= cur.endsAt) {
          // A late delivery of a notification older than the alert's resolution (a webhook retried long after):
          // Alertmanager, which sent it, holds the alert resolved all the same.
        } else
          alerts.set(fp, {
            labels: a.labels,
            annotations: cur?.annotations ?? {},
            startsAt: cur?.startsAt ?? Date.parse(a.startsAt),
            endsAt: null,
          });
      }
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
