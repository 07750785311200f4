import { describe, expect, it } from "vitest";
import { createKubernetesPlatform } from "../../../agent/platforms/kubernetes/kubernetesPlatform.ts";
import type { AgentClock } from "../../../agent/platforms/platform.ts";
import type { Evidence, IncidentAlert } from "../../../core/types.ts";
import { startKubeSim } from "@aegisops/kube-sim";
import { createKubeClients } from "../../../tools/kubernetes/client.ts";
import { waitFor } from "../../helpers/docker.ts";
import { useScrapedSim } from "./scrapedSim.ts";
import { k8sWorkload } from "../../helpers/targets.ts";

// A real Prometheus scrapes the simulator's cAdvisor metrics every 200 ms while a ticker moves the cluster's
// virtual clock 10× real time. The investigation's clock refuses to sleep: memory must come from the history.
const scraped = useScrapedSim({ speed: 10, tickMs: 25 });

const checkout = k8sWorkload("checkout");

async function investigateWithHistory(variant: string) {
  const sim = scraped.keep(await startKubeSim({ clock: "virtual" }));
  sim.advance(5000);
  sim.inject({ family: "memory_leak", target: "shop/checkout", variant });
  // Four simulated minutes of the fault before Prometheus looks (as diagnosis.test.ts lets it develop).
  for (let t = 0; t < 240_000; t += 1000) sim.advance(1000);
  const prom = await scraped.scrape();
  const platform = createKubernetesPlatform({
    kube: createKubeClients({ kind: "string", yaml: sim.kubeconfig() }),
    prometheusUrl: prom.url,
  });
  const sleeps: number[] = [];
  const noSleep: AgentClock = {
    now: () => Date.now(),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
  const alert: IncidentAlert = {
    fingerprint: "f1",
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: "",
    status: "firing",
    labels: { alertname: "KubeWorkloadUnhealthy", namespace: "shop", deployment: "checkout" },
    annotations: {},
    startsAt: new Date().toISOString(),
    receivedAt: new Date().toISOString(),
  };
  // Wait until Prometheus holds 6 s of scrapes of checkout's pods (several 1.2 s steps of a 2 min window), then investigate once.
  const url = prom.url;
  await waitFor(
    async () => {
      const q = encodeURIComponent(
        'min(count_over_time(container_memory_working_set_bytes{namespace="shop",pod=~"checkout-.*",container!=""}[1m]))',
      );
      const body = (await (await fetch(`${url}/api/v1/query?query=${q}`)).json()) as {
        data: { result: Array<{ value: [number, string] }> };
      };
      return Number(body.data.result[0]?.value[1] ?? 0) >= 30 || undefined;
    },
    { timeoutMs: 30_000, intervalMs: 300, what: "30 scrapes (6 s) of checkout's pods in Prometheus" },
  );
  const evidence: Evidence = await platform.investigate(checkout, [alert], noSleep);
  return { evidence, sleeps };
}

describe("Kubernetes memory from Prometheus' history on the simulator", () => {
  it("a leak in a new release is read from the history at once, without sampling metrics-server", async () => {
    const { evidence, sleeps } = await investigateWithHistory("leaky_release");
    const names = evidence.signals.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(["memory_growth", "recent_rollout"]));
    expect(sleeps).toEqual([]);
    expect(evidence.errors.filter((e) => e.startsWith("prometheus"))).toEqual([]);
  });

  it("look-alike: a cache warming up to a plateau is not read as a leak", async () => {
    const { evidence, sleeps } = await investigateWithHistory("warm_cache");
    expect(evidence.signals.map((s) => s.name)).not.toContain("memory_growth");
    expect(sleeps).toEqual([]);
    expect(evidence.errors.filter((e) => e.startsWith("prometheus"))).toEqual([]);
  });
});
