import { realpathSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policySchema } from "../../agent/policy/schema.ts";
import {
  apiHeaders,
  getIncident,
  startTestAegis,
  waitForFinished,
  type TestAegis,
} from "../helpers/aegis.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import { freePort, TARGET_IMAGE, useDockerHarness, waitFor } from "../helpers/docker.ts";
import { startPrometheus, type TestPrometheus } from "../helpers/prometheus.ts";

const MiB = 1024 * 1024;
const LIMIT_MIB = 160;
const LEAK_MIB_PER_S = 1; // from ~45 MiB resident, the kernel would OOM-kill it in about 2 minutes

/**
 * A service that leaks LEAK_MIB_PER_S once POST /leak switches it on (touched pages, so the working set
 * really grows) and exposes its resident memory for Prometheus. Runs on the lab image's node binary.
 */
const LEAKY = `
import http from "node:http";
const held = [];
let timer = null;
const port = Number(process.env.PORT);
http.createServer((req, res) => {
  if (req.url === "/leak" && req.method === "POST") {
    timer ??= setInterval(() => held.push(Buffer.alloc(${(LEAK_MIB_PER_S * MiB) / 10}, held.length % 251)), 100);
    return res.end("leaking\\n");
  }
  if (req.url === "/metrics") {
    return res.end("# TYPE process_resident_memory_bytes gauge\\nprocess_resident_memory_bytes " + process.memoryUsage().rss + "\\n");
  }
  res.end("ok\\n");
}).listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
`;

const API_TOKEN = "predict-test-token";
// The harness builds the lab image (its node binary runs LEAKY) and removes the container afterwards.
const h = useDockerHarness("predict");
const name = `${h.prefix}-checkout`;
let port: number;
let prom: TestPrometheus;
let t: TestAegis;

beforeAll(async () => {
  port = await freePort();
  const c = await h.docker.createContainer({
    name,
    Image: TARGET_IMAGE,
    Entrypoint: [realpathSync(process.execPath), "--input-type=module", "-e", LEAKY],
    Env: [`PORT=${port}`],
    Labels: { "aegis.test": "1", "aegis.health-url": `http://127.0.0.1:${port}/health` },
    HostConfig: { NetworkMode: "host", Memory: LIMIT_MIB * MiB, MemorySwap: LIMIT_MIB * MiB },
  });
  await c.start();
  await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok), {
    what: "leaky service up",
  });
  prom = await startPrometheus([`127.0.0.1:${port}`]);
  const policy = policySchema.parse({
    predictive: {
      intervalSeconds: 1,
      stepSeconds: 1,
      lookbackMinutes: 3,
      forCycles: 2,
      series: [
        {
          name: "memory",
          kind: "exhaustion",
          query: `process_resident_memory_bytes{instance="127.0.0.1:${port}"}`,
          limit: LIMIT_MIB * MiB,
          unit: "bytes",
          family: "memory_leak",
          // Short windows for a leak that runs out in minutes (the defaults suit a 15 s scrape).
          windowMinutes: 1,
          minRampMinutes: 0.4,
          horizonMinutes: 10,
          labels: { container: name },
        },
      ],
    },
  });
  t = await startTestAegis(
    {
      AEGIS_MODE: "approve",
      AEGIS_API_TOKEN: API_TOKEN,
      AEGIS_API_PUBLIC: "true",
      PROMETHEUS_URL: prom.url,
      AEGIS_VERIFY_TIMEOUT_MS: "15000",
    },
    { policy },
  );
}, 120_000);

afterAll(async () => {
  await t?.stop();
  await prom?.stop();
});

describe("predicted OOM on the real Docker engine, through a real Prometheus", () => {
  it("predicts the leak, waits for approval (advise/approve first), joins a later alert, heals before the OOM kill", async () => {
    // Prometheus needs a baseline before the leak, as the forecast looks for growth above it.
    await new Promise((r) => setTimeout(r, 15_000));
    t.aegis.watcher!.start();
    const leakStarted = Date.now();
    await fetch(`http://127.0.0.1:${port}/leak`, { method: "POST" });

    const list = await waitFor(
      async () => {
        const res = await fetch(`${t.baseUrl}/api/incidents`, { headers: apiHeaders(t.baseUrl) });
        const body = (await res.json()) as { incidents: Array<{ id: string; status: string }> };
        return body.incidents.find((i) => i.status === "awaiting_approval");
      },
      { timeoutMs: 90_000, intervalMs: 250, what: "a predictive incident awaiting approval" },
    );
    const predictedAfterMs = Date.now() - leakStarted;
    const incident = await getIncident(t.baseUrl, list.id);
    const alert = incident.alerts[0]!;
    expect(alert.labels.alertname).toBe("AegisPredictedExhaustion");
    expect(alert.annotations.summary).toMatch(
      /grows \d+(\.\d)? MiB\/min; its limit \(160 MiB\) is reached in [\d.]+ min \(± /,
    );
    expect(Number(alert.annotations.lead_time_seconds)).toBeGreaterThan(20);
    expect(incident.decision?.action).toBe("restart_container");
    expect(
      incident.evidence?.signals.some((s) => s.name === "memory_growth" && s.detail.startsWith("predicted:")),
    ).toBe(true);

    // The alert that fires later for the same container joins the predictive incident: no second incident.
    const later = await postAlerts(
      t.baseUrl,
      retargeted({
        alertname: "ContainerMemoryHigh",
        container: name,
        instance: `127.0.0.1:${port}`,
        job: "target",
      }),
    );
    expect((later.body.incidents as Array<{ id: string; outcome: string }>)[0]).toMatchObject({
      id: incident.id,
      outcome: "joined",
    });

    const approved = await fetch(`${t.baseUrl}/api/incidents/${incident.id}/approve`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ by: "on-call" }),
    });
    expect(approved.status).toBe(202);
    const done = await waitForFinished(t.baseUrl, incident.id);
    expect(done.status).toBe("resolved");
    expect(done.actions.map((a) => a.action)).toEqual(["restart_container"]);

    const state = (await h.docker.getContainer(name).inspect()).State;
    expect(state.OOMKilled).toBe(false);
    expect(state.Running).toBe(true);
    // Healed: the restarted process holds its baseline again, far from the limit.
    const rss = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(Number(/process_resident_memory_bytes (\d+)/.exec(rss)![1]) / MiB).toBeLessThan(LIMIT_MIB / 2);
    // Raised well before the limit: about 2 minutes of leak at most, and the lead time covered the rest.
    expect(predictedAfterMs).toBeLessThan(90_000);
  }, 180_000);
});
