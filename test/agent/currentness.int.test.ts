import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCurrentness } from "../../agent/currentness/currentness.ts";
import type { IncidentAlert } from "../../core/types.ts";
import { startAlertmanager, type RunningAlertmanager } from "../../lab/stack/alertmanager.ts";
import { PROFILES } from "../../lab/stack/profiles.ts";
import { listUnresolvedAlerts } from "../../tools/alertmanager/alerts.ts";
import { startPrometheus, type TestPrometheus } from "../helpers/prometheus.ts";
import { waitFor } from "../helpers/docker.ts";

// Real Alertmanager and Prometheus (Debian's); the scraped exporter is a plain HTTP server whose value the test sets.
let am: RunningAlertmanager;
let prom: TestPrometheus;
let exporter: Server;
let instance: string;
let dir: string;
let errors = 7;
const suffix = `${process.pid}-${Date.now().toString(36)}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aegis-currentness-"));
  exporter = createServer((_req, res) => {
    res.setHeader("content-type", "text/plain; version=0.0.4");
    res.end(`# TYPE app_errors gauge\napp_errors{service="checkout"} ${errors}\n`);
  });
  await new Promise<void>((r) => exporter.listen(0, "127.0.0.1", r));
  instance = `127.0.0.1:${(exporter.address() as { port: number }).port}`;
  am = await startAlertmanager({ dir, profile: PROFILES.fast, webhookUrl: "http://127.0.0.1:9/alerts" });
  prom = await startPrometheus([instance]);
}, 60_000);
afterAll(async () => {
  await prom?.stop();
  await am?.stop();
  await new Promise((r) => exporter?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const EXPR = 'app_errors{service="checkout"} > 5';
function alert(labels: Record<string, string>, fingerprint = ""): IncidentAlert {
  return {
    status: "firing",
    labels,
    annotations: {},
    startsAt: new Date(Date.now() - 60_000).toISOString(),
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: `http://prometheus.invalid/graph?g0.expr=${encodeURIComponent(EXPR)}&g0.tab=1`,
    fingerprint,
    receivedAt: new Date().toISOString(),
  };
}

/** Send an alert to Alertmanager as Prometheus does (endsAt in the past resolves it). */
async function toAlertmanager(labels: Record<string, string>, endsAt: Date) {
  const res = await fetch(`${am.url}/api/v2/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify([
      { labels, startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: endsAt.toISOString() },
    ]),
  });
  expect(res.status).toBe(200);
}

describe("is the alert still current? (before acting)", () => {
  it("Prometheus: the alert's own expression still true → current; back to normal → stale, saying why", async () => {
    const check = createCurrentness({ prometheusUrl: prom.url })!;
    const a = alert({ alertname: "CheckoutErrors", service: "checkout", instance, job: "target" });
    errors = 7;
    await waitFor(async () => (await check([a])).stale === undefined, {
      what: "the expression true in Prometheus",
    });
    errors = 0;
    const verdict = await waitFor(
      async () => {
        const v = await check([a]);
        return v.stale ? v : undefined;
      },
      { what: "the expression false in Prometheus", timeoutMs: 15_000, intervalMs: 200 },
    );
    expect(verdict.stale).toMatch(
      /expression app_errors\{service="checkout"\} > 5 returns no series for its labels now: the metric is back to normal/,
    );
  });

  it("look-alike: an empty result for an instance that is not scraped is not 'normal'", async () => {
    const check = createCurrentness({ prometheusUrl: prom.url })!;
    const v = await check([
      alert({ alertname: "CheckoutErrors", service: "checkout", instance: "10.9.9.9:9100" }),
    ]);
    expect(v).toEqual({ errors: [] });
  });

  it("Alertmanager: an alert it still holds is current; once resolved there it is stale", async () => {
    const labels = { alertname: "KubePodCrashLooping", namespace: "shop", pod: `web-${suffix}` };
    await toAlertmanager(labels, new Date(Date.now() + 3_600_000));
    const held = await listUnresolvedAlerts({ alertmanagerUrl: am.url, filter: labels });
    expect(held).toHaveLength(1);
    const check = createCurrentness({ alertmanagerUrl: am.url })!;
    const a = alert(labels, held[0]!.fingerprint);
    a.generatorURL = "";
    expect((await check([a])).stale).toBeUndefined();

    await toAlertmanager(labels, new Date(Date.now() - 1000));
    expect(await listUnresolvedAlerts({ alertmanagerUrl: am.url, filter: labels })).toHaveLength(0);
    expect((await check([a])).stale).toBe(
      "KubePodCrashLooping is resolved in Alertmanager (no longer among its unresolved alerts)",
    );
  });

  it("look-alike: an alert Alertmanager never sent (no fingerprint) is not judged by its absence; an unreachable Alertmanager is an error, not a verdict", async () => {
    const labels = { alertname: "KubePodCrashLooping", namespace: "shop", pod: `never-${suffix}` };
    const a = { ...alert(labels), generatorURL: "" };
    expect(await createCurrentness({ alertmanagerUrl: am.url })!([a])).toEqual({ errors: [] });
    const down = await createCurrentness({ alertmanagerUrl: "http://127.0.0.1:9" })!([
      { ...a, fingerprint: "abc" },
    ]);
    expect(down.stale).toBeUndefined();
    expect(down.errors[0]).toMatch(/^Alertmanager: /);
  });
});
