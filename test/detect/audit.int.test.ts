import { describe, expect, it } from "vitest";
import { collectUsage } from "../../detect/audit/collect.ts";
import { rightsize, rightsizingSchema } from "../../detect/audit/rightsizing.ts";
import { queryPrometheus } from "../../tools/prometheus/instantQuery.ts";
import { waitFor } from "../helpers/docker.ts";
import { usePrometheusScraping } from "../helpers/prometheus.ts";

const MiB = 2 ** 20;
const started = Date.now();

/** kube-state-metrics' requests and cAdvisor's usage for two pods of one deployment, as those exporters name them. */
function metrics(): string {
  const s = (Date.now() - started) / 1000;
  const pods = ["checkout-7d9f8b6c4-x2kqp", "checkout-7d9f8b6c4-wz9tn"];
  const lines = ["# TYPE kube_pod_container_resource_requests gauge"];
  for (const pod of pods) {
    lines.push(
      `kube_pod_container_resource_requests{namespace="shop",pod="${pod}",container="app",resource="cpu",unit="core"} 2`,
    );
    lines.push(
      `kube_pod_container_resource_requests{namespace="shop",pod="${pod}",container="app",resource="memory",unit="byte"} ${2048 * MiB}`,
    );
  }
  lines.push("# TYPE container_cpu_usage_seconds_total counter");
  pods.forEach((pod, i) =>
    lines.push(
      `container_cpu_usage_seconds_total{namespace="shop",pod="${pod}",container="app"} ${(0.25 + 0.1 * i) * s}`,
    ),
  );
  lines.push("# TYPE container_memory_working_set_bytes gauge");
  pods.forEach((pod, i) =>
    lines.push(
      `container_memory_working_set_bytes{namespace="shop",pod="${pod}",container="app"} ${(400 + 100 * i) * MiB}`,
    ),
  );
  return `${lines.join("\n")}\n`;
}

const prom = usePrometheusScraping(metrics);

describe("aegis audit's queries on a real Prometheus", () => {
  it("reads requests and usage quantiles the way kube-state-metrics and cAdvisor expose them", async () => {
    const cfg = rightsizingSchema.parse({ windowDays: 10 / 86_400, namespaces: ["shop"] });
    const query = (q: string) => queryPrometheus({ prometheusUrl: prom.url, query: q });
    // Wait until Prometheus holds more than the audit's window of scrapes (the oldest one over 12 s ago).
    await waitFor(
      async () => {
        const r = await query('time() - min_over_time(timestamp(up{job="target"})[30s:200ms]) > 12');
        return r.series.length > 0;
      },
      { timeoutMs: 40_000, intervalMs: 500, what: "a full window of scrapes" },
    );
    const usage = await collectUsage(query, cfg, () => true);
    expect(usage).toHaveLength(1);
    const u = usage[0]!;
    expect(u).toMatchObject({
      namespace: "shop",
      workload: "checkout",
      container: "app",
      replicas: 2,
      cpuRequest: 2,
    });
    expect(u.memRequest! / MiB).toBe(2048);
    expect(u.memP99 / MiB).toBeCloseTo(500, 0); // the busier pod
    expect(u.cpuP99).toBeGreaterThan(0.3);
    expect(u.cpuP99).toBeLessThan(0.4);
    const [line] = rightsize(usage, cfg);
    expect(line!.monthlySavings).toBeGreaterThan(0);
  });
});
