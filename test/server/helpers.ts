import { expect } from "vitest";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../core/config.ts";
import type { WebhookPayload } from "../../core/alert.ts";
import { silentLogger, type Logger } from "../../core/logger.ts";
import { defaultPolicy } from "../../agent/policy/loadPolicy.ts";
import { createApp, type AppDeps } from "../../server/app.ts";
import { startServer, type RunningServer } from "../../server/listen.ts";
import { createMetricsRegistry } from "../../server/metrics.ts";
import { openDatabase, type Db } from "../../store/db.ts";
import { SqliteIncidentRepository } from "../../store/incidentRepository.ts";

/** A real Alertmanager 0.25 capture from test/fixtures/alertmanager (a fresh copy each call). */
export function fixture(name: "am-webhook-firing" | "am-webhook-resolved" | "am-webhook-injected-firing") {
  const url = new URL(`../fixtures/alertmanager/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as WebhookPayload;
}

/**
 * The captures carry only service/instance labels: point every alert at a Docker container. Alertmanager's
 * fingerprint is a hash of the label set, so a new label means a new fingerprint (same one for firing and
 * resolved, as in Alertmanager).
 */
export function retarget(payload: WebhookPayload, container: string): WebhookPayload {
  return {
    ...payload,
    commonLabels: { ...payload.commonLabels, container },
    alerts: payload.alerts.map((a) => {
      const labels = { ...a.labels, container };
      return { ...a, labels, fingerprint: labelFingerprint(labels) };
    }),
  };
}

function labelFingerprint(labels: Record<string, string>): string {
  const canonical = Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join("\u0001");
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

export interface TestServer {
  url: string;
  /** The listening server itself (its own close takes a grace period). */
  running: RunningServer;
  db: Db;
  /** Every onAccepted call, in order. */
  accepted: string[][];
  /** Rows in the incident tables: what "nothing written" is checked against. */
  counts(): { incidents: number; alerts: number; timeline: number };
  post(body: unknown, init?: { token?: string; contentType?: string }): Promise<Response>;
  close(): Promise<void>;
}

/** The real app on 127.0.0.1:0 over a real SQLite file in a temp dir. */
export async function startTestServer(
  env: Record<string, string> = {},
  options: { logger?: Logger; answerApproval?: AppDeps["answerApproval"] } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "aegis-server-test-"));
  const db = openDatabase(join(dir, "aegis.db"));
  const accepted: string[][] = [];
  const app = createApp({
    config: loadConfig(env),
    policy: defaultPolicy(),
    incidents: new SqliteIncidentRepository(db),
    onAccepted: (ids) => accepted.push(ids),
    logger: options.logger ?? silentLogger(),
    metrics: createMetricsRegistry(),
    ...(options.answerApproval ? { answerApproval: options.answerApproval } : {}),
  });
  const running = await startServer(app, "127.0.0.1", 0);
  const count = (table: string) =>
    (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return {
    url: running.url,
    running,
    db,
    accepted,
    counts: () => ({ incidents: count("incidents"), alerts: count("alerts"), timeline: count("timeline") }),
    post: (body, init = {}) =>
      fetch(`${running.url}/alerts`, {
        method: "POST",
        headers: {
          "content-type": init.contentType ?? "application/json",
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    close: async () => {
      await running.close(1000);
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The value of one series in a Prometheus exposition (undefined when absent). */
export function seriesValue(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The values of the named series in an exposition, as one object to compare with the expected table. */
export function seriesValues(text: string, series: string[]): Record<string, number | undefined> {
  return Object.fromEntries(series.map((s) => [s, seriesValue(text, s)]));
}

/** Expects every series of `want` to hold its value in the exposition. */
export function expectSeries(text: string, want: Record<string, number>): void {
  expect(seriesValues(text, Object.keys(want))).toEqual(want);
}
