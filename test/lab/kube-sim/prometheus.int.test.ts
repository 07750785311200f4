import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeSim } from "@aegisops/kube-sim";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { settled, startFastSim, waitFor } from "./helpers.ts";
import type { PromStack } from "./promstack.ts";
import { startPromStack } from "./promstack.ts";

// Real Prometheus 2.42 scrapes the simulator's /metrics and real Alertmanager fires on it: the same PromQL and
// alert rules as on a real cluster must work.
const RULES = `groups:
  - name: kube
    rules:
      - alert: KubePodCrashLooping
        expr: max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[10s]) >= 1
        labels: { severity: warning }
        annotations: { summary: "Pod {{ $labels.namespace }}/{{ $labels.pod }} is crash looping" }
`;

let sim: KubeSim;
let prom: PromStack;
const webhooks: { status: string; alerts: { labels: Record<string, string> }[] }[] = [];
const receiver = createServer((req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => (body += c.toString()));
  req.on("end", () => {
    webhooks.push(JSON.parse(body) as (typeof webhooks)[number]);
    res.end("ok");
  });
});

beforeAll(async () => {
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  sim = await startFastSim();
  await settled(sim);
  prom = await startPromStack(
    new URL(sim.url).host,
    RULES,
    `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`,
  );
});
afterAll(async () => {
  await prom?.stop();
  await sim?.stop();
  await new Promise((r) => receiver.close(r));
});

async function query(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${prom.prometheus}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== "success") throw new Error(`${q}: ${body.error}`);
  return body.data.result;
}

describe("Prometheus scraping the simulator", () => {
  it("ingests kube-state-metrics, cAdvisor and app series under their usual names", async () => {
    expect(await query('up{job="kube-sim"} == 1')).toHaveLength(1);
    const nodes = await query('kube_node_status_condition{condition="Ready",status="true"} == 1');
    expect(nodes.map((r) => r.metric.node).sort()).toEqual(["sim-node-1", "sim-node-2", "sim-node-3"]);
    expect(
      await query('kube_deployment_status_replicas_available{namespace="shop",deployment="web"}'),
    ).toMatchObject([{ value: [expect.any(Number), "3"] }]);
    expect(
      (await query('container_memory_working_set_bytes{namespace="shop",container="app"}')).length,
    ).toBeGreaterThan(0);
    await waitFor(
      async () =>
        (await query('sum(rate(http_requests_total{namespace="shop",service="web"}[2s])) > 0')).length === 1,
      "web request rate",
    );
    const p95 = await query(
      'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="web"}[2s])))',
    );
    expect(Number(p95[0]!.value[1])).toBeLessThan(0.25);
  });

  it("sees a crash loop (restarts, CrashLoopBackOff) and Alertmanager fires the alert with its pod labels", async () => {
    expect(webhooks).toHaveLength(0);
    sim.inject({ family: "crashloop", target: "shop/checkout" });
    await waitFor(
      async () =>
        (
          await query(
            'sum(increase(kube_pod_container_status_restarts_total{namespace="shop",pod=~"checkout-.*"}[10s])) > 0',
          )
        ).length === 1,
      "restarts to increase in Prometheus",
    );
    await waitFor(
      async () =>
        (
          await query(
            'max_over_time(kube_pod_container_status_waiting_reason{namespace="shop",reason="CrashLoopBackOff"}[10s]) == 1',
          )
        ).length > 0,
      "CrashLoopBackOff waiting reason",
    );
    const fired = await waitFor(
      () =>
        webhooks
          .flatMap((w) => (w.status === "firing" ? w.alerts : []))
          .find((a) => a.labels.alertname === "KubePodCrashLooping"),
      "the KubePodCrashLooping webhook",
    );
    expect(fired.labels).toMatchObject({
      namespace: "shop",
      reason: "CrashLoopBackOff",
      severity: "warning",
    });
    expect(fired.labels.pod).toMatch(/^checkout-/);
  });
});
