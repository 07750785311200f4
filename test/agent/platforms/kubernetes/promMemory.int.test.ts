import { describe, expect, it } from "vitest";
import { memorySignals } from "../../../../agent/platforms/kubernetes/memory.ts";
import { memoryFromPrometheus } from "../../../../agent/platforms/kubernetes/promMemory.ts";
import type { PodSnapshot } from "../../../../tools/kubernetes/listPods.ts";
import { waitFor } from "../../../helpers/docker.ts";
import { usePrometheusScraping } from "../../../helpers/prometheus.ts";
import { podSnapshot } from "../../../helpers/kubeSnapshots.ts";

const MIB = 1024 * 1024;
const LIMIT = 1024 * MIB;
const t0 = Date.now();

/**
 * cAdvisor's working set as the kubelet exposes it (namespace, pod, container labels), scraped by a real
 * Prometheus every 200 ms: web's two pods leak 30 MiB/s from 200 MiB; cache's pod sits flat at 70 % of its limit;
 * a sidecar and a pod of the same name in another namespace must not be mixed in.
 */
function exposition(): string {
  const leak = 200 * MIB + ((Date.now() - t0) / 1000) * 30 * MIB;
  const line = (ns: string, pod: string, container: string, v: number) =>
    `container_memory_working_set_bytes{namespace="${ns}",pod="${pod}",container="${container}"} ${Math.round(v)}`;
  return [
    "# TYPE container_memory_working_set_bytes gauge",
    line("shop", "web-7d9f-a", "app", leak),
    line("shop", "web-7d9f-b", "app", leak * 1.1),
    line("shop", "web-7d9f-a", "sidecar", 5 * MIB),
    line("other", "web-7d9f-a", "app", 900 * MIB),
    line("shop", "cache-5c4b-a", "app", 0.7 * LIMIT),
    "",
  ].join("\n");
}

function pod(name: string): PodSnapshot {
  return podSnapshot(name, {
    createdAt: new Date(t0 - 3_600_000).toISOString(),
    ownerName: name.slice(0, name.lastIndexOf("-")),
    templateHash: name.split("-")[1]!,
    containers: [
      { name: "app", ready: true, restartCount: 0, memoryLimitBytes: LIMIT },
      { name: "sidecar", ready: true, restartCount: 0 },
    ],
  });
}

const prom = usePrometheusScraping(exposition);

/** Polls until Prometheus holds enough history of every pod (a few scrapes), within a deadline. */
const history = (pods: PodSnapshot[]) =>
  waitFor(
    () => memoryFromPrometheus({ prometheusUrl: prom.url, namespace: "shop", pods, since: Date.now() }),
    { timeoutMs: 20_000, intervalMs: 300, what: "three readings of every pod in Prometheus" },
  );

describe("Kubernetes memory from Prometheus' history (range query), not sampled on the spot", () => {
  it("a leak's growth comes from the history: memory_growth in every pod, at the rate it grows", async () => {
    const series = await history([pod("web-7d9f-a"), pod("web-7d9f-b")]);
    expect(series.map((s) => s.pod).sort()).toEqual(["web-7d9f-a", "web-7d9f-b"]);
    for (const s of series) {
      expect(s.limitBytes).toBe(LIMIT);
      expect(s.readings.length).toBeGreaterThanOrEqual(3);
      // The app container's series, not the sidecar's 5 MiB nor the other namespace's pod of the same name.
      expect(s.readings[0]!.bytes).toBeGreaterThan(150 * MIB);
      expect(s.readings.at(-1)!.bytes).toBeLessThan(800 * MIB);
    }
    const signals = memorySignals(series, undefined, Date.now());
    const growth = signals.find((s) => s.name === "memory_growth");
    expect(growth, JSON.stringify(signals)).toBeDefined();
    // 30 MiB/s is 1,800 MiB/min; slices of scrapes measure it within a third.
    expect(Number(growth!.value)).toBeGreaterThan(1200);
    expect(Number(growth!.value)).toBeLessThan(2400);
  });

  it("look-alike: a working set high but flat in the history is a plateau, not a leak", async () => {
    const series = await history([pod("cache-5c4b-a")]);
    const names = memorySignals(series, undefined, Date.now()).map((s) => s.name);
    expect(names).toEqual(["memory_plateau"]);
  });

  it("a pod Prometheus holds no history of is not judged from the others: the caller samples instead", async () => {
    const r = await memoryFromPrometheus({
      prometheusUrl: prom.url,
      namespace: "shop",
      pods: [pod("web-7d9f-a"), pod("web-7d9f-new")],
      since: Date.now(),
    });
    expect(r).toBeUndefined();
  });
});
