import { describe, expect, it } from "vitest";
import { collectUsage } from "../../detect/audit/collect.ts";
import { rightsize, rightsizingSchema, workloadOf } from "../../detect/audit/rightsizing.ts";
import type { PromQueryResult } from "../../tools/prometheus/instantQuery.ts";

const MiB = 2 ** 20;
const cfg = rightsizingSchema.parse({});

/** Answers the audit's six queries the way Prometheus would for two checkout pods and one old pod. */
async function prometheus(query: string): Promise<PromQueryResult> {
  const pods = ["checkout-7d9f8b6c4-x2kqp", "checkout-7d9f8b6c4-wz9tn"];
  const series = (values: number[], withOld = false) => ({
    resultType: "vector" as const,
    series: [...pods, ...(withOld ? ["checkout-5f6d7c8b9-zzzzz"] : [])].map((pod, i) => ({
      labels: { namespace: "shop", pod, container: "app" },
      value: values[i] ?? values[0]!,
      timestamp: 0,
    })),
  });
  if (query.includes('resource="cpu"')) return series([2]);
  if (query.includes('resource="memory"')) return series([2048 * MiB]);
  if (query.includes("container_cpu_usage_seconds_total"))
    return series(query.includes("0.95,") ? [0.3, 0.32, 0.1] : [0.4, 0.45, 0.1], true);
  if (query.includes("container_memory_working_set_bytes"))
    return series(query.includes("0.95,") ? [500 * MiB] : [600 * MiB, 640 * MiB, 100 * MiB], true);
  throw new Error(`unexpected query ${query}`);
}

describe("right-sizing audit", () => {
  it("folds pods into their workload, counts the running replicas, and prices what is reserved beyond the safe request", async () => {
    const usage = await collectUsage(prometheus, cfg, () => true);
    expect(usage).toHaveLength(1);
    const u = usage[0]!;
    expect(u).toMatchObject({
      namespace: "shop",
      workload: "checkout",
      container: "app",
      replicas: 2,
      cpuRequest: 2,
      cpuP99: 0.45,
    });
    expect(u.memP99 / MiB).toBe(640);
    const [line] = rightsize(usage, cfg);
    expect(line!.cpuSafe).toBeCloseTo(0.45 * 1.15, 6);
    expect(line!.memSafe / MiB).toBeCloseTo(640 * 1.15, 6);
    const expected =
      2 *
      730 *
      ((2 - 0.45 * 1.15) * cfg.pricePerVcpuHour + ((2048 - 640 * 1.15) / 1024) * cfg.pricePerGibHour);
    expect(line!.monthlySavings).toBeCloseTo(expected, 6);
    expect(line!.reason).toMatch(/predictive watcher on/);
  });

  it("keeps a larger margin where no predictive series watches the workload", async () => {
    const [watched] = rightsize(await collectUsage(prometheus, cfg, () => true), cfg);
    const [unwatched] = rightsize(await collectUsage(prometheus, cfg, () => false), cfg);
    expect(unwatched!.cpuSafe).toBeGreaterThan(watched!.cpuSafe);
    expect(unwatched!.monthlySavings).toBeLessThan(watched!.monthlySavings);
    expect(unwatched!.reason).toMatch(/not watched/);
  });

  it("reports an under-provisioned container as a negative saving", () => {
    const [line] = rightsize(
      [
        {
          namespace: "shop",
          workload: "api",
          container: "app",
          replicas: 3,
          cpuRequest: 0.1,
          cpuP95: 0.3,
          cpuP99: 0.5,
          memRequest: 64 * MiB,
          memP95: 100 * MiB,
          memP99: 120 * MiB,
          watched: true,
        },
      ],
      cfg,
    );
    expect(line!.monthlySavings).toBeLessThan(0);
  });

  it("names the workload of Deployment, DaemonSet and StatefulSet pods", () => {
    expect(workloadOf("checkout-7d9f8b6c4-x2kqp")).toBe("checkout");
    expect(workloadOf("node-exporter-x7k2p")).toBe("node-exporter");
    expect(workloadOf("postgres-0")).toBe("postgres");
  });
});
