import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HeuristicPlanner } from "../../agent/planners/heuristic.ts";
import { createKubernetesPlatform } from "../../agent/platforms/kubernetes/kubernetesPlatform.ts";
import { defaultPolicy } from "../../agent/policy/loadPolicy.ts";
import type { Target } from "../../core/types.ts";
import { loadDetectorParams } from "../../detect/versions.ts";
import { predictiveSchema } from "../../detect/watcher/config.ts";
import { PredictionRegistry } from "../../detect/watcher/registry.ts";
import type { RangeSeries, SeriesSource } from "../../detect/watcher/source.ts";
import { PredictiveWatcher } from "../../detect/watcher/watcher.ts";
import { startKubeSim, type KubeSim, serviceLoad, R, type Deployment } from "@aegisops/kube-sim";
import { createKubeClients } from "../../tools/kubernetes/client.ts";
import { k8sWorkload } from "../helpers/targets.ts";

const MIN = 60_000;
const DAY = 1440 * MIN;
/** The latency SLO of checkout: p95 at or below 150 ms (60 ms when it has capacity to spare). */
const SLO_P95_S = 0.15;

/**
 * The demo cluster's checkout (2 replicas of 40 requests/s each, 30 requests/s offered) gets its daily
 * ramp: at 09:00 of the simulated day traffic grows over 30 minutes to 4× and stays there two hours.
 * Nothing in the simulator is told about it but the offered load; the watcher reads what the cluster
 * serves at /metrics (http_requests_total per pod, kube_deployment_status_replicas), scraped every step
 * and kept as Prometheus would keep it (a real Prometheus cannot scrape on the simulator's virtual time).
 */
function factorAt(t: number): number {
  const minute = (((t % DAY) + DAY) % DAY) / MIN;
  const start = 9 * 60;
  if (minute < start || minute >= start + 150) return 1;
  return minute < start + 30 ? 1 + (3 * (minute - start)) / 30 : 4;
}

/** Scrapes of the simulator's /metrics kept as series: requests/s of checkout and its replicas. */
class Recorder implements SeriesSource {
  readonly rps: Array<[number, number]> = [];
  readonly replicas: Array<[number, number]> = [];
  private last: { t: number; total: number } | undefined;

  constructor(private readonly sim: KubeSim) {}

  async scrape(): Promise<void> {
    const text = await (await fetch(`${this.sim.url}/metrics`)).text();
    const t = this.sim.clock.now();
    let total = 0;
    let replicas: number | undefined;
    for (const line of text.split("\n")) {
      if (
        line.startsWith("http_requests_total{") &&
        /namespace="shop"/.test(line) &&
        /service="checkout"/.test(line)
      )
        total += Number(line.slice(line.lastIndexOf(" ") + 1));
      if (
        line.startsWith("kube_deployment_status_replicas{") &&
        /namespace="shop"/.test(line) &&
        /deployment="checkout"/.test(line)
      )
        replicas = Number(line.slice(line.lastIndexOf(" ") + 1));
    }
    if (this.last !== undefined && t > this.last.t && total >= this.last.total)
      this.rps.push([t, (total - this.last.total) / ((t - this.last.t) / 1000)]);
    this.last = { t, total };
    if (replicas !== undefined) this.replicas.push([t, replicas]);
  }

  async queryRange(query: string, start: number, end: number): Promise<RangeSeries[]> {
    const points = (query === "replicas" ? this.replicas : this.rps).filter(([t]) => t >= start && t <= end);
    return [
      {
        labels: { namespace: "shop", deployment: "checkout" },
        t: Float64Array.from(points, ([t]) => t),
        v: Float64Array.from(points, ([, v]) => v),
      },
    ];
  }
}

let sim: KubeSim;
beforeAll(async () => {
  // Controllers pass at most every 5 simulated minutes (the history days), every 15 s where the test
  // advances by 15 s (the morning the watcher runs): two simulated days take seconds, not minutes.
  sim = await startKubeSim({ clock: "virtual", stepMs: 5 * MIN });
  sim.advance(5000);
});
afterAll(async () => {
  await sim?.stop();
});

describe("predictive scaling on the Kubernetes simulator", () => {
  it("scales checkout for its morning ramp before the latency SLO is breached", async () => {
    const model = sim.ctx.world.service("shop", "checkout");
    const deployment = () => sim.ctx.store.peek(R.deployments, "shop", "checkout") as Deployment;
    const p95 = () => Math.max(0, ...serviceLoad(sim.ctx, deployment()).pods.map((p) => p.p95));
    const rec = new Recorder(sim);
    const step = async (ms: number) => {
      sim.advance(ms);
      model.trafficFactor = factorAt(sim.clock.now());
      await rec.scrape();
    };
    // Day 1, nobody watching: the ramp breaches the SLO (what the prediction must prevent).
    const day1 = Math.floor(sim.clock.now() / DAY) * DAY + DAY;
    sim.advance(day1 - 5 * MIN - sim.clock.now());
    while (sim.clock.now() < day1) await step(5 * MIN);
    let worstDay1 = 0;
    while (sim.clock.now() < day1 + DAY) {
      await step(5 * MIN);
      worstDay1 = Math.max(worstDay1, p95());
    }
    expect(worstDay1).toBeGreaterThan(SLO_P95_S);
    expect(deployment().spec.replicas).toBe(2);

    // Day 2: the watcher runs from 07:30, polling every 15 s.
    const registry = new PredictionRegistry();
    const platform = createKubernetesPlatform({
      kube: createKubeClients({ kind: "string", yaml: sim.kubeconfig() }),
    });
    const watcher = new PredictiveWatcher({
      config: predictiveSchema.parse({
        series: [
          {
            name: "traffic",
            kind: "traffic",
            query: 'sum by (namespace, deployment) (rate(http_requests_total{service="checkout"}[1m]))',
            unit: "none",
            capacityPerReplica: 40,
            replicasQuery: "replicas",
            matchOn: ["namespace", "deployment"],
            forecastMinutes: 60,
            historyDays: 2,
          },
        ],
      }),
      source: rec,
      detectorParams: loadDetectorParams(),
      now: () => sim.clock.now(),
      raise: async (p) => {
        const alert = await registry.record(p);
        const target: Target = k8sWorkload("checkout") as Target;
        const decision = await new HeuristicPlanner().decide({
          incident: { id: "inc_ramp", alerts: [] },
          target,
          evidence: {
            collectedAt: new Date().toISOString(),
            signals: registry.signalsFor([alert]),
            observations: {},
            errors: [],
          },
          recalled: [],
          policy: defaultPolicy(),
        });
        expect(decision.action).toBe("scale_deployment");
        await platform.execute(decision, target);
        scaledAt = sim.clock.now();
      },
    });
    let scaledAt: number | undefined;
    const day2 = day1 + DAY;
    while (sim.clock.now() < day2 + 7.5 * 60 * MIN) await step(5 * MIN);
    let worstDay2 = 0;
    while (sim.clock.now() < day2 + 11 * 60 * MIN) {
      await step(15_000);
      await watcher.cycle();
      worstDay2 = Math.max(worstDay2, p95());
    }
    expect(scaledAt).toBeDefined();
    expect(scaledAt!).toBeLessThan(day2 + 9 * 60 * MIN + 10 * MIN); // before the ramp outgrows 2 replicas
    expect(deployment().spec.replicas).toBeGreaterThanOrEqual(5); // 120 requests/s at 70 % of 40 each
    expect(worstDay2).toBeLessThanOrEqual(SLO_P95_S);
  }, 120_000);
});
