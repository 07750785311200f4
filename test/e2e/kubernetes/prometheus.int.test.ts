import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Incident } from "../../../core/types.ts";
import type { KubeSim } from "@aegisops/kube-sim";
import { getIncident, listIncidents, waitForFinished } from "../../helpers/aegis.ts";
import { waitFor } from "../../helpers/docker.ts";
import { freePort, startPromStack, type PromStack } from "../../lab/kube-sim/promstack.ts";
import { startSimTicker } from "../../helpers/simTicker.ts";
import { autoHighPolicy, look, startKubeHarness, type KubeHarness } from "./harness.ts";

// The shipped rules (fast profile) through real Prometheus 2.42 scraping the simulator and real Alertmanager 0.25
// posting to AegisOps's /alerts; AegisOps heals on the simulator and, with PROMETHEUS_URL set, verifies by
// re-evaluating the alert's own expression.
//
// Clocks: the simulator runs on a virtual clock; Prometheus samples and evaluates in real time. A ticker keeps the
// virtual clock at 10× real time (catching up after a late tick) from before Prometheus starts until the test ends, so the world never stands still
// while it is scraped (a frozen clock reads as zero traffic, and the first real traffic after it as a surge). At
// 10×, the fast profile's 5 s `for:` is 50 simulated seconds: the fault has developed (restarts, back-off, lag)
// when the alert fires. Gauges and ratios read the same on either clock, so the scenarios here use alerts built
// on them: CrashLoopBackOff, node Ready, consumer lag, the 5xx share.
const RULES = readFileSync(
  new URL("../../../deploy/prometheus/rules/aegisops-kubernetes-fast.yml", import.meta.url),
  "utf8",
);
const SPEED = 10;
/** Alert (up to 60 s on a loaded machine) plus healing and verification (up to 90 s). */
const TEST_MS = 180_000;
const TICK_MS = 25;

let h: KubeHarness;
let promPort: number;
let prom: PromStack | undefined;
let stopTicker: (() => void) | undefined;
let startedAt = 0;

beforeAll(async () => {
  promPort = await freePort();
  h = await startKubeHarness(autoHighPolicy(), {
    env: { PROMETHEUS_URL: `http://127.0.0.1:${promPort}`, AEGIS_VERIFY_TIMEOUT_MS: "30000" },
  });
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(async () => {
  startedAt = Date.now();
  const sim = await h.freshCluster();
  stopTicker = startSimTicker(sim, SPEED, TICK_MS);
  prom = await startPromStack(new URL(sim.url).host, RULES, `${h.aegis.baseUrl}/alerts`, {
    prometheusPort: promPort,
  });
  // HTTPTrafficSurge compares with 10 s ago over 5 s windows: until Prometheus holds 15 s of samples its
  // baseline is a window still filling up, which reads low (traffic "from nowhere").
  await waitFor(
    async () => {
      const q = encodeURIComponent("count_over_time(up[15s])");
      const res = await fetch(`${prom!.prometheus}/api/v1/query?query=${q}`);
      const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
      return Number(body.data.result[0]?.value[1] ?? 0) >= 70 || undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500, what: "15 s of samples in Prometheus" },
  );
});
afterEach(async () => {
  stopTicker?.();
  await prom?.stop();
  prom = undefined;
});

/** Waits for the incident Alertmanager's webhook opened for `alertname` (about `target`), then for it to finish. */
async function incidentFor(alertname: string, target?: string): Promise<Incident> {
  const opened = await waitFor(
    async () => {
      const incidents = await listIncidents(h.aegis.baseUrl);
      return incidents.find(
        (i) =>
          Date.parse(i.receivedAt) >= startedAt &&
          i.alertnames.includes(alertname) &&
          (!target || (i.target as { name?: string } | null)?.name === target),
      );
    },
    { timeoutMs: 60_000, intervalMs: 200, what: `Alertmanager to post ${alertname} to AegisOps` },
  );
  return waitForFinished(h.aegis.baseUrl, opened.id, 90_000);
}

/** Names of the alerts of every incident opened since the test began: the healthy rest of the cluster stays quiet. */
async function alertNamesSinceStart(): Promise<string[]> {
  const incidents = await listIncidents(h.aegis.baseUrl);
  const names = incidents.filter((i) => Date.parse(i.receivedAt) >= startedAt).flatMap((i) => i.alertnames);
  return [...new Set(names)];
}

/** The alert as AegisOps received it, and the verification checks made against Prometheus. */
function fromPrometheus(incident: Incident, alertname: string) {
  const alert = incident.alerts.find((a) => a.labels.alertname === alertname)!;
  const checks = (incident.verification?.evidence ?? []).filter((e) => e.check.startsWith("prometheus"));
  return { alert, checks };
}

const activeFault = (sim: KubeSim, id: string) => look(sim).fault(id).active;

describe("Kubernetes scenarios through real Prometheus and Alertmanager with the deploy/ rules", () => {
  it(
    "a release that crashes on start: KubePodCrashLooping for the Deployment → rollback_deployment, verified by the expression",
    async () => {
      const sim = h.sim();
      const f = sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
      const incident = await incidentFor("KubePodCrashLooping");

      const { alert, checks } = fromPrometheus(incident, "KubePodCrashLooping");
      expect(alert.labels).toMatchObject({ namespace: "shop", deployment: "checkout", severity: "critical" });
      expect(alert.generatorURL).toContain(`127.0.0.1:${promPort}`);
      expect(alert.annotations?.summary).toBe("Pods of shop/checkout are crash looping");
      expect(incident.target).toMatchObject({ kind: "k8s_workload", namespace: "shop", name: "checkout" });
      expect(incident.decision?.action).toBe("rollback_deployment");
      expect(incident.status).toBe("resolved");
      expect(checks).toContainEqual(
        expect.objectContaining({ check: "prometheus KubePodCrashLooping", ok: true }),
      );
      expect(activeFault(sim, f.id)).toBe(false);
      expect(await alertNamesSinceStart()).toEqual(["KubePodCrashLooping"]);
    },
    TEST_MS,
  );

  it(
    "a node whose kubelet stopped: KubeNodeNotReady for the node → cordon_drain_node, verified by the expression",
    async () => {
      const sim = h.sim();
      const f = sim.inject({ family: "node_not_ready", target: "sim-node-1" });
      const incident = await incidentFor("KubeNodeNotReady");

      const { alert, checks } = fromPrometheus(incident, "KubeNodeNotReady");
      expect(alert.labels).toMatchObject({ node: "sim-node-1", severity: "critical" });
      expect(alert.generatorURL).toContain(`127.0.0.1:${promPort}`);
      expect(incident.target).toMatchObject({ kind: "k8s_node", name: "sim-node-1" });
      expect(incident.decision?.action).toBe("cordon_drain_node");
      expect(incident.status).toBe("resolved");
      expect(checks).toContainEqual(
        expect.objectContaining({ check: "prometheus KubeNodeNotReady", ok: true }),
      );
      expect(activeFault(sim, f.id)).toBe(false);
      expect(await alertNamesSinceStart()).toEqual(["KubeNodeNotReady"]);
    },
    TEST_MS,
  );

  it(
    "producers outpacing the consumers: KafkaConsumerLagGrowing for the group → add_kafka_consumers, verified with the exporter up",
    async () => {
      const sim = h.sim();
      const f = sim.inject({ family: "kafka_lag", target: "shop/orders-consumer" });
      const incident = await incidentFor("KafkaConsumerLagGrowing");

      const { alert, checks } = fromPrometheus(incident, "KafkaConsumerLagGrowing");
      expect(alert.labels).toMatchObject({ consumergroup: "orders", topic: "orders", severity: "warning" });
      expect(alert.generatorURL).toContain(`127.0.0.1:${promPort}`);
      // The policy's service map sends the group to its consumer Deployment.
      expect(incident.target).toMatchObject({
        kind: "k8s_workload",
        namespace: "shop",
        name: "orders-consumer",
      });
      expect(incident.decision?.action).toBe("add_kafka_consumers");
      expect(incident.status).toBe("resolved");
      expect(incident.actions[0]?.result).toMatchObject({ previousReplicas: 2, replicas: 6 });
      // The series carry the scrape's instance: verification also wants the exporter scraped since the action.
      expect(checks.map((c) => [c.check.replace(/\d+$/, "PORT"), c.ok])).toEqual([
        [`prometheus up ${alert.labels.instance!.replace(/\d+$/, "PORT")}`, true],
        ["prometheus KafkaConsumerLagGrowing", true],
      ]);
      expect(activeFault(sim, f.id)).toBe(false);
      expect(await alertNamesSinceStart()).toEqual(["KafkaConsumerLagGrowing"]);
    },
    TEST_MS,
  );

  it(
    "a release that throws in a handler: HTTPServerErrorsHigh (a ratio of two rates) → rollback_deployment, verified by the expression",
    async () => {
      const sim = h.sim();
      const f = sim.inject({ family: "http_5xx", target: "shop/checkout" });
      const incident = await incidentFor("HTTPServerErrorsHigh", "checkout");

      const { alert, checks } = fromPrometheus(incident, "HTTPServerErrorsHigh");
      expect(alert.labels).toMatchObject({ namespace: "shop", deployment: "checkout", service: "checkout" });
      // 30% of requests fail: the ratio reads the same whatever the virtual clock's speed.
      expect(alert.annotations?.summary).toMatch(
        /^shop\/checkout answers (2\d|3\d)(\.\d+)?% of requests with 5xx$/,
      );
      expect(incident.decision?.action).toBe("rollback_deployment");
      expect(incident.status).toBe("resolved");
      expect(checks).toContainEqual(
        expect.objectContaining({ check: "prometheus HTTPServerErrorsHigh", ok: true }),
      );
      expect(activeFault(sim, f.id)).toBe(false);
      expect(await alertNamesSinceStart()).toEqual(["HTTPServerErrorsHigh"]);
      // web calls checkout and answers 502 for its failed calls: the same alert fires for the caller, and
      // nothing is done to it.
      const summaries = await listIncidents(h.aegis.baseUrl);
      const others = await Promise.all(
        summaries
          .filter((i) => Date.parse(i.receivedAt) >= startedAt && i.id !== incident.id)
          .map((i) => getIncident(h.aegis.baseUrl, i.id)),
      );
      for (const other of others) {
        expect(other.target, "a caller of checkout").toMatchObject({ name: "web" });
        expect(other.actions, "no action on the caller").toEqual([]);
      }
    },
    TEST_MS,
  );
});
