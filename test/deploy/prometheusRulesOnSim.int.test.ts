import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type KubeSim, startKubeSim, type FaultSpec } from "@aegisops/kube-sim";
import { waitFor } from "../helpers/docker.ts";
import { startSimTicker } from "../helpers/simTicker.ts";
import { freePort, startPromStack, type PromStack } from "../lab/kube-sim/promstack.ts";

// Every alert of the shipped fast profile, on real Prometheus scraping the simulator with the fault of its scenario:
// the rules use the series names and labels the simulator (standing for kube-state-metrics, cAdvisor,
// node-exporter, the exporters and the apps) really exposes. The unit tests (promtool) prove the thresholds and the
// look-alikes; this proves the wiring. The virtual clock runs 10× real time the whole time Prometheus scrapes (see
// deploy/prometheus/README.md on the two clocks).
const RULES = readFileSync(
  new URL("../../deploy/prometheus/rules/aegisops-kubernetes-fast.yml", import.meta.url),
  "utf8",
);
const NODE = /^sim-node-\d$/;

interface Case {
  fault: FaultSpec;
  alert: string;
  /** Labels the firing alert must carry (a RegExp where the value depends on scheduling). */
  labels: Record<string, string | RegExp>;
}

const carries = (metric: Record<string, string>, labels: Case["labels"]) =>
  Object.entries(labels).every(([k, v]) =>
    typeof v === "string" ? metric[k] === v : v.test(metric[k] ?? ""),
  );
/** Faults that do not hide each other's symptoms share a cluster, so their `for:` waits overlap. */
const BATCHES: Record<string, Case[]> = {
  "crash loop, consumer lag, queue depth, slow database, disk pressure, upstream 429s": [
    {
      fault: { family: "crashloop", target: "shop/checkout", variant: "bad_image" },
      alert: "KubePodCrashLooping",
      labels: { namespace: "shop", deployment: "checkout" },
    },
    {
      fault: { family: "kafka_lag", target: "shop/orders-consumer" },
      alert: "KafkaConsumerLagGrowing",
      labels: { consumergroup: "orders", topic: "orders" },
    },
    {
      fault: { family: "queue_depth", target: "shop/email-worker" },
      alert: "QueueDepthGrowing",
      labels: { queue: "emails" },
    },
    {
      fault: { family: "db_latency", target: "shop/orders-db" },
      alert: "DatabaseReadLatencyHigh",
      labels: { namespace: "shop", service: "orders-db" },
    },
    {
      fault: { family: "disk_pressure", target: "sim-node-3" },
      alert: "KubeNodeDiskPressure",
      labels: { node: "sim-node-3" },
    },
    {
      fault: { family: "upstream_throttling", target: "shop/web" },
      alert: "UpstreamRequestsThrottled",
      labels: { namespace: "shop", service: "web", upstream: "payments-api" },
    },
  ],
  "5xx release, memory leak, node NotReady, packet loss": [
    {
      fault: { family: "http_5xx", target: "shop/checkout" },
      alert: "HTTPServerErrorsHigh",
      labels: { namespace: "shop", deployment: "checkout", service: "checkout" },
    },
    {
      fault: { family: "memory_leak", target: "shop/web" },
      alert: "ContainerMemoryHeadingForLimit",
      labels: { namespace: "shop", deployment: "web", container: "app" },
    },
    {
      fault: { family: "node_not_ready", target: "sim-node-1" },
      alert: "KubeNodeNotReady",
      labels: { node: "sim-node-1" },
    },
    {
      fault: { family: "packet_loss", target: "shop/checkout", params: { from: "web", loss: 0.3 } },
      alert: "NodeTCPRetransmitsHigh",
      labels: { node: NODE },
    },
  ],
  "noisy neighbour, traffic surge": [
    {
      fault: { family: "latency_p95", target: "shop/web" },
      alert: "HTTPLatencyP95High",
      labels: { namespace: "shop", deployment: "web", service: "web" },
    },
    {
      fault: { family: "traffic_spike", target: "shop/checkout" },
      alert: "HTTPTrafficSurge",
      labels: { namespace: "shop", deployment: "checkout", service: "checkout" },
    },
  ],
};

let port: number;
let sim: KubeSim | undefined;
let stopTicker: (() => void) | undefined;
let prom: PromStack;
// Alertmanager needs somewhere to post; the assertions read Prometheus's ALERTS instead.
const sink = createServer((req, res) => req.resume().on("end", () => res.end("ok")));

async function freshSim(): Promise<KubeSim> {
  stopTicker?.();
  await sim?.stop();
  const s = await startKubeSim({ clock: "virtual", port });
  s.advance(5000);
  stopTicker = startSimTicker(s, 10);
  sim = s;
  return s;
}

async function firing(alertname: string): Promise<Record<string, string>[]> {
  const q = `ALERTS{alertstate="firing", alertname="${alertname}"}`;
  const res = await fetch(`${prom.prometheus}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { data: { result: { metric: Record<string, string> }[] } };
  return body.data.result.map((r) => r.metric);
}

beforeAll(async () => {
  await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
  port = await freePort();
  await freshSim();
  prom = await startPromStack(
    `127.0.0.1:${port}`,
    RULES,
    `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`,
  );
});
afterAll(async () => {
  stopTicker?.();
  await prom?.stop();
  await sim?.stop();
  await new Promise((r) => sink.close(r));
});
beforeEach(async () => {
  await freshSim();
});
afterEach(() => stopTicker?.());

describe("deploy/prometheus fast rules on the simulator through real Prometheus", () => {
  it("cover all 12 failure scenarios", () => {
    const alerts = Object.values(BATCHES).flatMap((b) => b.map((c) => c.alert));
    expect(new Set(alerts).size).toBe(12);
  });

  it.each(Object.entries(BATCHES))(
    "%s: each alert fires with the labels AegisOps routes on",
    async (_, cases) => {
      // Quiet on the healthy cluster (an earlier cluster's alerts take a few seconds to resolve).
      for (const c of cases)
        await waitFor(async () => (await firing(c.alert)).length === 0 || undefined, {
          timeoutMs: 30_000,
          intervalMs: 250,
          what: `${c.alert} to be quiet before its fault`,
        });
      for (const c of cases) sim!.inject(c.fault);
      // Watched together: a surge alert lasts only until the surge is 10 s old.
      const fired = await Promise.all(
        cases.map((c) =>
          waitFor(async () => (await firing(c.alert)).find((m) => carries(m, c.labels)), {
            timeoutMs: 60_000,
            intervalMs: 250,
            what: `${c.alert} to fire for ${Object.values(c.labels).map(String).join(" ")}`,
          }),
        ),
      );
      for (const [i, alert] of fired.entries())
        expect(alert.severity, cases[i]!.alert).toMatch(/^(critical|warning)$/);
    },
    240_000,
  );
});
