import { describe, expect, it } from "vitest";
import type { KubeSim } from "@aegisops/kube-sim";
import { useVirtualSim } from "./helpers.ts";
import { increase, look, metric } from "./world.ts";

// The demo cluster on a virtual clock, 20 s in.
const { start, run } = useVirtualSim(undefined, { warmUpMs: 20_000 });

/** Mean request latency of one pod over `ms` (from the http_request_duration_seconds counters). */
const meanLatency = (s: KubeSim, pod: string, ms: number) => {
  const sum = metric(s, "http_request_duration_seconds_sum", { pod });
  const count = metric(s, "http_request_duration_seconds_count", { pod });
  s.advance(ms);
  return (
    (metric(s, "http_request_duration_seconds_sum", { pod }) - sum) /
    (metric(s, "http_request_duration_seconds_count", { pod }) - count)
  );
};

describe("per-pod faults: one replica degraded, its siblings fine", () => {
  it("gc_thrash slows one pod (latency, CPU, GC log lines); deleting that pod clears it", async () => {
    const sim = await start();
    const rec = sim.inject({ family: "pod_degraded", target: "shop/web", variant: "gc_thrash" });
    const [sick, ...fine] = look(sim)
      .ready("web")
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    expect(meanLatency(sim, sick!.metadata.name, 30_000)).toBeGreaterThan(0.5);
    for (const p of fine) expect(meanLatency(sim, p.metadata.name, 30_000)).toBeLessThan(0.1);
    const logs = await run(["-n", "shop", "logs", sick!.metadata.name, "--tail=20"]);
    expect(logs.stdout).toMatch(/\[gc\] GC\(\d+\) Pause Full \(Allocation Failure\)/);
    const other = await run(["-n", "shop", "logs", fine[0]!.metadata.name, "--tail=20"]);
    expect(other.stdout).not.toMatch(/\[gc\]/);
    expect(look(sim).fault(rec.id).active).toBe(true);
    await run(["-n", "shop", "delete", "pod", sick!.metadata.name, "--wait=false"]);
    sim.advance(40_000);
    expect(look(sim).fault(rec.id).active).toBe(false);
  });

  it("stuck_pool: that pod's requests fail with 503 after the pool's timeout; the others serve", async () => {
    const sim = await start();
    sim.inject({ family: "pod_degraded", target: "shop/web", variant: "stuck_pool", params: { pod: 1 } });
    const pods = look(sim)
      .ready("web")
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const failed = (p: string) => increase(sim, 30_000, "http_requests_total", { pod: p, code: "503" });
    expect(failed(pods[1]!.metadata.name)).toBeGreaterThan(100);
    expect(failed(pods[0]!.metadata.name)).toBe(0);
    expect(String(look(sim).log(pods[1]!))).toMatch(/HikariPool-1 - Connection is not available/);
  });
});

describe("per-dependency faults", () => {
  it("a hot Kafka partition: one partition's lag grows, the others stay empty, more consumers change nothing", async () => {
    const sim = await start();
    await run(["-n", "shop", "scale", "deploy/orders-consumer", "--replicas=6"]);
    sim.advance(20_000);
    sim.inject({ family: "kafka_lag", target: "shop/orders-consumer", variant: "hot_partition" });
    sim.advance(60_000);
    const lag = (p: string) => metric(sim, "kafka_consumergroup_lag", { partition: p });
    expect(lag("0")).toBeGreaterThan(1000);
    for (const p of ["1", "2", "3", "4", "5"]) expect(lag(p)).toBe(0);
    const before = lag("0");
    sim.advance(60_000);
    expect(lag("0")).toBeGreaterThan(before);
  });

  it("a slow database slows its clients: callers' latency and the consumers' lag follow from it", async () => {
    const sim = await start();
    // orders-consumer writes each message to orders-db, as web reads from it.
    sim.ctx.world.service("shop", "orders-consumer").database = "orders-db";
    sim.ctx.world.kafka.get("shop/orders")!.produceRate = 250;
    sim.advance(30_000);
    const lagBefore = metric(sim, "kafka_consumergroup_lag_sum");
    const web = look(sim).ready("web")[0]!.metadata.name;
    const fast = meanLatency(sim, web, 20_000);
    sim.inject({ family: "db_latency", target: "shop/orders-db", variant: "slow_primary" });
    const slow = meanLatency(sim, web, 20_000);
    expect(slow).toBeGreaterThan(fast + 0.5);
    sim.advance(60_000);
    expect(metric(sim, "kafka_consumergroup_lag_sum")).toBeGreaterThan(lagBefore + 1000);
  });

  it("a leak in the revision that has run for days: no rollout, pods days old, working set near the limit", async () => {
    const sim = await start();
    const target = "shop/web";
    const rec = sim.inject({
      family: "memory_leak",
      target,
      variant: "old_revision",
      params: { ageDays: 4 },
    });
    sim.advance(10_000);
    const pods = await run(["-n", "shop", "get", "pods", "-l", "app=web"]);
    expect(pods.stdout).toMatch(/web-\S+\s+1\/1\s+Running\s+0\s+4d/);
    const rs = await run(["-n", "shop", "get", "rs", "-l", "app=web"]);
    expect(rs.stdout.trim().split("\n")).toHaveLength(2); // one revision: nothing recent to roll back to
    expect(rs.stdout).toMatch(/\s4d(1h)?\s/);
    const top = await run(["-n", "shop", "top", "pod", "-l", "app=web", "--no-headers"]);
    const limit = look(sim).deployment("web").spec.template.spec.containers[0]!.resources!.limits!.memory!;
    const used = Number(/(\d+)Mi/.exec(top.stdout)![1]);
    expect(used).toBeGreaterThan(0.8 * Number(/(\d+)Mi/.exec(limit)![1]));
    expect(look(sim).fault(rec.id).active).toBe(true);
  });
});
