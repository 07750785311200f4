import { describe, expect, it } from "vitest";
import { HeuristicPlanner } from "../../../agent/planners/heuristic.ts";
import { parsePolicy } from "../../../agent/policy/loadPolicy.ts";
import { createKubernetesPlatform } from "../../../agent/platforms/kubernetes/kubernetesPlatform.ts";
import type { AgentClock } from "../../../agent/platforms/platform.ts";
import type { Evidence, Incident, IncidentAlert } from "../../../core/types.ts";
import { DEMO_CLUSTER, startKubeSim } from "@aegisops/kube-sim";
import { createKubeClients } from "../../../tools/kubernetes/client.ts";
import { waitFor } from "../../helpers/docker.ts";
import { useScrapedSim } from "./scrapedSim.ts";
import { k8sWorkload } from "../../helpers/targets.ts";

// A real Prometheus scrapes the simulator's request histograms every 200 ms while a ticker moves the cluster's
// virtual clock 10× real time. A new release of `bidder` rolls out while Prometheus watches; the investigation
// reads each revision's latency from that history (the clock refuses to sleep: nothing is sampled on the spot).
const scraped = useScrapedSim({ speed: 10, tickMs: 25 });

const REGISTRY = `
apiVersion: kube-sim.aegisops.io/v1
kind: ImageRegistry
images:
  registry.example/bidder:1.0: { memoryMiB: 60 }
  registry.example/bidder:2.0: { memoryMiB: 60, latencyMs: 900 }
  registry.example/bidder:1.0-tuned: { memoryMiB: 60 }
  registry.example/bidder:2.1: { memoryMiB: 60, errorRatio: 0.6 }
  registry.example/front:1.0: { memoryMiB: 60 }
`;

/** bidder (2 replicas) and front, which calls it; `capacity` per pod (low: both releases saturated). */
const manifests = (capacity: number) => `
---
apiVersion: v1
kind: Namespace
metadata: { name: auction }
${[
  ["bidder", "registry.example/bidder:1.0", ""],
  ["front", "registry.example/front:1.0", "\n    kube-sim.aegisops.io/calls: bidder"],
]
  .map(
    ([name, image, extra]) => `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: auction
  annotations:
    kube-sim.aegisops.io/rps: "40"
    kube-sim.aegisops.io/capacity-rps: "${name === "bidder" ? capacity : 100}"${extra}
spec:
  replicas: 2
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
        - name: ${name}
          image: ${image}
          resources: { requests: { cpu: 100m, memory: 128Mi }, limits: { memory: 256Mi } }
---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: auction }
spec:
  selector: { app: ${name} }
  ports: [{ port: 80, targetPort: 8080 }]
`,
  )
  .join("")}`;

const POLICY = parsePolicy(
  `services:
  front:
    target: { namespace: auction, deployment: front }
    calls: [bidder]
`,
  "test",
);
const workload = (name: string) => k8sWorkload(name, { namespace: "auction" });
const noSleep: AgentClock = {
  now: () => Date.now(),
  sleep: () => Promise.reject(new Error("the investigation sampled instead of reading history")),
};
const latencyAlert = (deployment: string): IncidentAlert => ({
  fingerprint: `lat-${deployment}`,
  endsAt: "0001-01-01T00:00:00Z",
  generatorURL: `http://prometheus.example:9090/graph?g0.expr=${encodeURIComponent(
    `histogram_quantile(0.95, sum by (le, namespace, service) (rate(http_request_duration_seconds_bucket{service="${deployment}"}[5m]))) > 0.5`,
  )}`,
  status: "firing",
  labels: { alertname: "LatencyP95High", namespace: "auction", deployment, severity: "warning" },
  annotations: {},
  startsAt: new Date().toISOString(),
  receivedAt: new Date().toISOString(),
});

const errorAlert = (deployment: string): IncidentAlert => ({
  ...latencyAlert(deployment),
  fingerprint: `err-${deployment}`,
  generatorURL: `http://prometheus.example:9090/graph?g0.expr=${encodeURIComponent(
    `sum by (namespace, service) (rate(http_requests_total{code=~"5..",service="${deployment}"}[5m])) / sum by (namespace, service) (rate(http_requests_total{service="${deployment}"}[5m])) > 0.05`,
  )}`,
  labels: { alertname: "RequestErrorRate", namespace: "auction", deployment, severity: "critical" },
});

async function count(url: string, query: string): Promise<number> {
  const body = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`)).json()) as {
    data: { result: Array<{ value: [number, string] }> };
  };
  return Number(body.data.result[0]?.value[1] ?? 0);
}

/** Runs bidder's release `image` under Prometheus: scraped before, during and after the rollout; then investigates. */
async function releaseUnderPrometheus(opts: { image: string; capacity: number }) {
  const sim = scraped.keep(
    await startKubeSim({
      clock: "virtual",
      fixture: DEMO_CLUSTER + manifests(opts.capacity),
      registry: REGISTRY,
    }),
  );
  for (let t = 0; t < 60_000; t += 1000) sim.advance(1000);
  const prom = await scraped.scrape();
  const url = prom.url;
  const scrapesOf = (pods: string) =>
    `count(count_over_time(http_request_duration_seconds_count{namespace="auction",pod=~"${pods}"}[1m]) >= 15)`;
  await waitFor(async () => (await count(url, scrapesOf("bidder-.*"))) >= 2 || undefined, {
    timeoutMs: 30_000,
    intervalMs: 300,
    what: "15 scrapes (3 s) of bidder's first release in Prometheus",
  });
  const kube = createKubeClients({ kind: "string", yaml: sim.kubeconfig() });
  const d = await kube.apps.readNamespacedDeployment({ name: "bidder", namespace: "auction" });
  d.spec!.template.spec!.containers[0]!.image = opts.image;
  await kube.apps.replaceNamespacedDeployment({ name: "bidder", namespace: "auction", body: d });
  // The new release's pods, scraped as long as the old ones were.
  await waitFor(
    async () => {
      const r = await kube.apps.listNamespacedReplicaSet({
        namespace: "auction",
        labelSelector: "app=bidder",
      });
      const newest = r.items.find((x) => x.spec?.template?.spec?.containers[0]?.image === opts.image);
      const old = r.items.filter((x) => x !== newest).reduce((n, x) => n + (x.status?.replicas ?? 0), 0);
      if (!newest || old > 0) return undefined;
      return (await count(url, scrapesOf(`${newest.metadata!.name}-.*`))) >= 2 || undefined;
    },
    { timeoutMs: 60_000, intervalMs: 300, what: "bidder's new release rolled out and scraped 15 times" },
  );
  const platform = createKubernetesPlatform({ kube, prometheusUrl: url, policy: POLICY });
  const planner = new HeuristicPlanner();
  const investigate = async (name: string, alert: IncidentAlert) => {
    const target = workload(name);
    const evidence: Evidence = await platform.investigate(target, [alert], noSleep);
    const decision = await planner.decide({
      incident: {} as Incident,
      target,
      evidence,
      recalled: [],
      policy: POLICY,
    });
    return { evidence, decision };
  };
  const decide = (name: string) => investigate(name, latencyAlert(name));
  return { decide, investigate };
}

describe("latency from Prometheus' history on the simulator", () => {
  it("a slow new release: rolled back on its own alert, and on its caller's alert (the caller is not touched)", async () => {
    const { decide } = await releaseUnderPrometheus({ image: "registry.example/bidder:2.0", capacity: 100 });
    const own = await decide("bidder");
    expect(own.evidence.errors.filter((e) => /latency|prometheus/.test(e))).toEqual([]);
    expect(own.evidence.signals.find((s) => s.name === "latency_began_with_revision")?.value).toBe(2);
    expect(own.decision.action).toBe("rollback_deployment");

    const caller = await decide("front");
    expect(caller.evidence.signals.find((s) => s.name === "dependency_slow")?.value).toBe("bidder");
    expect(caller.evidence.dependency?.target.key).toBe("k8s::auction/deployment/bidder");
    expect(caller.decision.action).toBe("rollback_deployment");
    expect(caller.decision.actsOn?.key).toBe("k8s::auction/deployment/bidder");
  });

  it("look-alike: a new release of a service already slow under load (both releases as slow) → no rollback, no action on the caller", async () => {
    const { decide, investigate } = await releaseUnderPrometheus({
      image: "registry.example/bidder:1.0-tuned",
      capacity: 5,
    });
    // Both releases shed load with 503s alike: not errors that came with the release either.
    const erring = await investigate("bidder", errorAlert("bidder"));
    expect(erring.evidence.signals.map((s) => s.name)).not.toContain("errors_began_with_revision");
    expect(erring.decision.action).not.toBe("rollback_deployment");
    const own = await decide("bidder");
    expect(own.evidence.errors.filter((e) => /latency|prometheus/.test(e))).toEqual([]);
    expect(own.evidence.signals.map((s) => s.name)).not.toContain("latency_began_with_revision");
    expect(own.decision.action).not.toBe("rollback_deployment");

    const caller = await decide("front");
    expect(caller.evidence.signals.map((s) => s.name)).not.toContain("dependency_slow");
    expect(caller.decision.action).toBe("none");
  });

  it("a release whose pods answer 5xx where the previous release's did not → rolled back on the error-rate alert", async () => {
    const { investigate } = await releaseUnderPrometheus({
      image: "registry.example/bidder:2.1",
      capacity: 100,
    });
    const { evidence, decision } = await investigate("bidder", errorAlert("bidder"));
    expect(evidence.errors.filter((e) => /5xx|prometheus/.test(e))).toEqual([]);
    expect(evidence.signals.find((s) => s.name === "errors_began_with_revision")?.value).toBe(2);
    expect(decision.action).toBe("rollback_deployment");
  });
});
