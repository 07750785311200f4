import { afterEach, describe, expect, it } from "vitest";
import { type KubeSim, startKubeSim, resourceOf, type HorizontalPodAutoscaler } from "@aegisops/kube-sim";
import { act, increase, look, metric } from "./world.ts";

// Every test runs the demo cluster on a virtual clock: time moves only through sim.advance().
let sim: KubeSim;
const start = async () => {
  sim = await startKubeSim({ clock: "virtual" });
  sim.advance(5000);
  return { see: look(sim), act: act(sim) };
};
afterEach(async () => {
  await sim?.stop();
});

const ratio5xx = (app: string, ms: number) => {
  const before = { bad: bad(app), all: metric(sim, "http_requests_total", { service: app }) };
  sim.advance(ms);
  const all = metric(sim, "http_requests_total", { service: app }) - before.all;
  return all ? (bad(app) - before.bad) / all : 0;
};
const bad = (app: string) =>
  ["500", "502", "503"].reduce(
    (n, code) => n + metric(sim, "http_requests_total", { service: app, code }),
    0,
  );
/** Share of requests slower than `le` seconds over the next `ms`, from the latency histogram. */
const slowShare = (app: string, le: string, ms: number) => {
  const b0 = metric(sim, "http_request_duration_seconds_bucket", { service: app, le });
  const c0 = metric(sim, "http_request_duration_seconds_count", { service: app });
  sim.advance(ms);
  const n = metric(sim, "http_request_duration_seconds_count", { service: app }) - c0;
  return n ? 1 - (metric(sim, "http_request_duration_seconds_bucket", { service: app, le }) - b0) / n : 0;
};

describe("crashloop", () => {
  it("bad image: CrashLoopBackOff with a panic in the previous log; a pod restart does not help, undo does", async () => {
    const { see, act } = await start();
    const f = sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    sim.advance(30_000);
    expect(see.waiting("checkout")).toContain("CrashLoopBackOff");
    const crashing = see
      .pods("checkout")
      .find((p) => p.status?.containerStatuses?.[0]?.state.waiting?.reason === "CrashLoopBackOff")!;
    expect(see.log(crashing, true)).toContain("panic: runtime error");
    expect(
      see.events().some((e) => e.reason === "BackOff" && e.involvedObject.name === crashing.metadata.name),
    ).toBe(true);
    expect(
      metric(sim, "kube_pod_container_status_waiting_reason", { reason: "CrashLoopBackOff" }),
    ).toBeGreaterThan(0);
    expect(metric(sim, "kube_pod_container_status_restarts_total", { namespace: "shop" })).toBeGreaterThan(0);
    // The rollout never completes: old pods keep serving (maxUnavailable), new ones crash.
    expect(see.ready("checkout").length).toBeGreaterThan(0);

    await act.deletePod(crashing.metadata.name);
    sim.advance(30_000);
    expect(see.waiting("checkout")).toContain("CrashLoopBackOff");
    expect(see.fault(f.id).active).toBe(true);

    await act.undo("checkout");
    sim.advance(30_000);
    expect(see.fault(f.id).active).toBe(false);
    expect(see.waiting("checkout")).toEqual([]);
    expect(see.ready("checkout")).toHaveLength(2);
    expect(metric(sim, "kube_pod_container_status_waiting_reason", { reason: "CrashLoopBackOff" })).toBe(0);
  });

  it("crashing new revision (config): cleared by undo", async () => {
    const { see, act } = await start();
    const f = sim.inject({ family: "crashloop", target: "shop/web", variant: "bad_revision" });
    sim.advance(20_000);
    const crashing = see.pods("web").find((p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) > 0)!;
    expect(see.log(crashing, true)).toContain("FATAL config");
    await act.deletePod(crashing.metadata.name);
    sim.advance(20_000);
    expect(see.fault(f.id).active).toBe(true);
    await act.undo("web");
    sim.advance(30_000);
    expect(see.fault(f.id).active).toBe(false);
    expect(see.ready("web")).toHaveLength(3);
  });

  it("missing Secret: running pods crash; a restarted pod cannot even start; re-creating the Secret clears it", async () => {
    const { see, act } = await start();
    const f = sim.inject({ family: "crashloop", target: "shop/web", variant: "missing_secret" });
    sim.advance(5000);
    const pod = see.pods("web")[0]!;
    expect(see.log(pod, true)).toContain('secret "web-db" not found');
    expect(see.waiting("web")).toContain("CrashLoopBackOff");

    await act.deletePod(pod.metadata.name);
    sim.advance(30_000);
    const fresh = see
      .pods("web")
      .find((p) => p.metadata.name !== pod.metadata.name && !p.status?.containerStatuses?.[0]?.restartCount)!;
    expect(fresh.status?.containerStatuses?.[0]?.state.waiting?.reason).toBe("CreateContainerConfigError");
    expect(
      see.events().some((e) => e.reason === "Failed" && e.message === 'Error: secret "web-db" not found'),
    ).toBe(true);
    expect(see.ready("web")).toHaveLength(0);

    await act.call(
      "POST",
      "/api/v1/namespaces/shop/secrets",
      { apiVersion: "v1", kind: "Secret", metadata: { name: "web-db" }, stringData: { password: "rotated" } },
      "application/json",
    );
    sim.advance(60_000);
    expect(see.fault(f.id).active).toBe(false);
    expect(see.ready("web")).toHaveLength(3);
  });
});

describe("memory", () => {
  it("OOMKilled: exit 137 restarts and working set at the limit; a restart only buys time, undo clears it", async () => {
    const { see, act } = await start();
    const f = sim.inject({ family: "oom_killed", target: "shop/web" });
    sim.advance(90_000);
    const p = see
      .pods("web")
      .find((x) => x.status?.containerStatuses?.[0]?.lastState.terminated?.reason === "OOMKilled")!;
    expect(p.status!.containerStatuses![0]!.lastState.terminated!.exitCode).toBe(137);
    expect(
      metric(sim, "kube_pod_container_status_last_terminated_reason", { reason: "OOMKilled" }),
    ).toBeGreaterThan(0);
    expect(see.events("default").concat(see.events("shop")).length).toBeGreaterThan(0);

    for (const x of see.pods("web")) await act.deletePod(x.metadata.name);
    sim.advance(20_000);
    const working = metric(sim, "container_memory_working_set_bytes", {
      namespace: "shop",
      container: "app",
    });
    sim.advance(90_000);
    expect(see.fault(f.id).active).toBe(true);
    expect(
      see
        .pods("web")
        .some((x) => x.status?.containerStatuses?.[0]?.lastState.terminated?.reason === "OOMKilled"),
    ).toBe(true);
    expect(working).toBeGreaterThan(0);

    await act.undo("web");
    sim.advance(180_000);
    expect(see.fault(f.id).active).toBe(false);
    expect(see.pods("web").every((x) => x.status?.containerStatuses?.[0]?.restartCount === 0)).toBe(true);
  });

  it("memory leak: the working set climbs toward the limit", async () => {
    await start();
    sim.inject({ family: "memory_leak", target: "shop/checkout" });
    sim.advance(30_000);
    const a = metric(sim, "container_memory_working_set_bytes", {
      namespace: "shop",
      container: "app",
      image: "ghcr.io/acme/checkout:2.0.2",
    });
    sim.advance(60_000);
    const b = metric(sim, "container_memory_working_set_bytes", {
      namespace: "shop",
      container: "app",
      image: "ghcr.io/acme/checkout:2.0.2",
    });
    expect(b).toBeGreaterThan(a);
  });

  it("warm cache (the leak's look-alike): a new release's working set climbs once, then holds below the limit", async () => {
    await start();
    const f = sim.inject({ family: "memory_leak", target: "shop/checkout", variant: "warm_cache" });
    const ws = () =>
      metric(sim, "container_memory_working_set_bytes", {
        namespace: "shop",
        container: "app",
        image: "ghcr.io/acme/checkout:2.0.2",
      });
    sim.advance(30_000);
    const warming = ws();
    sim.advance(180_000);
    const warm = ws();
    sim.advance(300_000);
    expect(warm).toBeGreaterThan(warming);
    // Flat after warming, high (2 pods × 216 of 256 MiB) and never killed.
    expect(ws()).toBe(warm);
    expect(warm / 2 / (256 * 1024 * 1024)).toBeGreaterThan(0.8);
    expect(sim.faults().find((x) => x.id === f.id)?.clearedBy).toMatch(/^nothing/);
  });
});

describe("nodes", () => {
  it("NotReady: Ready Unknown, pods NotReady, no new pods there; a drain moves the workloads", async () => {
    const { see, act } = await start();
    const f = sim.inject({ family: "node_not_ready", target: "sim-node-1" });
    sim.advance(10_000);
    expect(see.condition("sim-node-1", "Ready")).toBe("Unknown");
    expect(see.node("sim-node-1").spec?.taints?.map((t) => t.key)).toContain(
      "node.kubernetes.io/unreachable",
    );
    expect(
      metric(sim, "kube_node_status_condition", {
        node: "sim-node-1",
        condition: "Ready",
        status: "unknown",
      }),
    ).toBe(1);
    const stuck = see.pods("web").find((p) => p.spec.nodeName === "sim-node-1")!;
    expect(stuck.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");
    expect(
      see
        .events("shop")
        .some((e) => e.reason === "NodeNotReady" && e.involvedObject.name === stuck.metadata.name),
    ).toBe(true);
    await act.scale("checkout", 4);
    sim.advance(10_000);
    expect(
      see
        .pods("checkout")
        .filter(
          (p) =>
            p.metadata.creationTimestamp! > stuck.metadata.creationTimestamp! &&
            p.spec.nodeName === "sim-node-1",
        ),
    ).toHaveLength(0);
    expect(see.fault(f.id).active).toBe(true);

    await act.drain("sim-node-1");
    sim.advance(10_000);
    expect(see.fault(f.id).active).toBe(false);
    expect(see.ready("web")).toHaveLength(3);
  });

  it("NotReady: after the eviction timeout the taint manager moves the pods on its own", async () => {
    const { see } = await start();
    sim.inject({ family: "node_not_ready", target: "sim-node-2" });
    sim.advance(310_000);
    expect(see.pods("web").filter((p) => p.spec.nodeName === "sim-node-2")).toHaveLength(0);
    expect(see.ready("web")).toHaveLength(3);
  });

  it("DiskPressure: condition, taint and low free space; a pod restart does not help, a drain does", async () => {
    const { see, act } = await start();
    const f = sim.inject({ family: "disk_pressure", target: "sim-node-2" });
    sim.advance(5000);
    expect(see.condition("sim-node-2", "DiskPressure")).toBe("True");
    expect(see.node("sim-node-2").spec?.taints).toContainEqual(
      expect.objectContaining({ key: "node.kubernetes.io/disk-pressure", effect: "NoSchedule" }),
    );
    expect(
      metric(sim, "node_filesystem_avail_bytes", { node: "sim-node-2" }) /
        metric(sim, "node_filesystem_size_bytes", { node: "sim-node-2" }),
    ).toBeLessThan(0.1);
    expect(see.events("default").some((e) => e.reason === "NodeHasDiskPressure")).toBe(true);
    const onNode = see.pods("web").find((p) => p.spec.nodeName === "sim-node-2")!;
    await act.deletePod(onNode.metadata.name);
    sim.advance(10_000);
    expect(see.condition("sim-node-2", "DiskPressure")).toBe("True");

    await act.drain("sim-node-2");
    sim.advance(5000);
    expect(see.fault(f.id).active).toBe(false);
    expect(see.condition("sim-node-2", "DiskPressure")).toBe("False");
    await act.cordon("sim-node-2", false);
  });
});

describe("requests", () => {
  it("5xx rate: a buggy release answers 500s; a restart does not help, undo does", async () => {
    const { see, act } = await start();
    const f = sim.inject({ family: "http_5xx", target: "shop/checkout" });
    sim.advance(20_000);
    expect(ratio5xx("checkout", 30_000)).toBeGreaterThan(0.2);
    const pod = see.ready("checkout")[0]!;
    expect(see.log(pod)).toContain("ERROR unhandled exception");
    await act.deletePod(pod.metadata.name);
    sim.advance(20_000);
    expect(ratio5xx("checkout", 30_000)).toBeGreaterThan(0.2);
    await act.undo("checkout");
    sim.advance(20_000);
    expect(see.fault(f.id).active).toBe(false);
    expect(ratio5xx("checkout", 30_000)).toBe(0);
  });

  it("p95 latency: a noisy neighbour; more replicas do not help, moving the pod off the node does", async () => {
    const { see, act } = await start();
    const f = sim.inject({ family: "latency_p95", target: "shop/web" });
    const node = see.pods("web").find((p) => sim.ctx.world.node(p.spec.nodeName!).noisy)!.spec.nodeName!;
    expect(slowShare("web", "0.5", 30_000)).toBeGreaterThan(0.05);
    const slowPod = see.pods("web").find((p) => p.spec.nodeName === node)!;
    expect(see.log(slowPod)).toContain("event loop delay");
    await act.scale("web", 4);
    sim.advance(10_000);
    expect(see.fault(f.id).active).toBe(true);
    expect(slowShare("web", "0.5", 30_000)).toBeGreaterThan(0.05);
    // recreate_pod_elsewhere: cordon the node, delete the pod, uncordon.
    await act.cordon(node);
    for (const p of see.pods("web").filter((x) => x.spec.nodeName === node))
      await act.deletePod(p.metadata.name);
    sim.advance(10_000);
    await act.cordon(node, false);
    expect(see.fault(f.id).active).toBe(false);
    expect(slowShare("web", "0.5", 30_000)).toBeLessThan(0.01);
  });

  it("DB read latency: a slow primary; restarting clients does not help, failing over does", async () => {
    const { see, act } = await start();
    const f = sim.inject({ family: "db_latency", target: "shop/orders-db" });
    expect(slowShare("web", "1", 30_000)).toBeGreaterThan(0.04);
    expect(
      metric(sim, "db_query_duration_seconds", { db: "orders-db", role: "primary", quantile: "0.95" }),
    ).toBeGreaterThan(1);
    expect(see.log(see.ready("web")[0]!)).toContain("slow query on orders-db (primary)");
    await act.rolloutRestart("web");
    sim.advance(20_000);
    expect(see.fault(f.id).active).toBe(true);
    await act.call("PATCH", "/api/v1/namespaces/shop/services/orders-db", {
      spec: { selector: { app: "orders-db", role: "secondary" } },
    });
    expect(see.fault(f.id).active).toBe(false);
    expect(slowShare("web", "0.5", 30_000)).toBeLessThan(0.01);
  });

  it("packet loss between web and checkout: retransmits and 502s; restarting the caller does not help, moving the callee does", async () => {
    const { see, act } = await start();
    const f = sim.inject({
      family: "packet_loss",
      target: "shop/checkout",
      params: { from: "web", loss: 0.3 },
    });
    const node = see.pods("checkout").find((p) => sim.ctx.world.node(p.spec.nodeName!).packetLoss > 0)!.spec
      .nodeName!;
    expect(increase(sim, 10_000, "node_netstat_Tcp_RetransSegs", { node })).toBeGreaterThan(0);
    expect(ratio5xx("web", 20_000)).toBeGreaterThan(0.02);
    expect(see.log(see.ready("web")[0]!)).toContain("call to checkout timed out");
    // Only the callee's pod behind the bad NIC sees its clients' connections reset.
    const [lossy, clean] = [
      see.pods("checkout").find((p) => p.spec.nodeName === node)!,
      see.pods("checkout").find((p) => p.spec.nodeName !== node)!,
    ];
    expect(see.log(lossy)).toContain("client connection reset by peer");
    expect(see.log(clean)).not.toContain("client connection reset by peer");
    await act.rolloutRestart("web");
    sim.advance(20_000);
    expect(see.fault(f.id).active).toBe(true);
    await act.cordon(node);
    for (const p of see.pods("checkout").filter((x) => x.spec.nodeName === node))
      await act.deletePod(p.metadata.name);
    sim.advance(10_000);
    await act.cordon(node, false);
    expect(see.fault(f.id).active).toBe(false);
    expect(ratio5xx("web", 20_000)).toBe(0);
  });

  it("packet loss look-alike: the callee's own bug reaches its caller as failed calls and 502s, not timeouts", async () => {
    const { see } = await start();
    sim.inject({ family: "http_5xx", target: "shop/checkout", params: { errorRatio: 0.3 } });
    expect(ratio5xx("web", 30_000)).toBeGreaterThan(0.1);
    const log = see.log(see.ready("web")[0]!);
    expect(log).toContain("call to checkout failed: HTTP 500 from checkout");
    expect(log).not.toContain("timed out");
  });

  it("traffic 3x: saturation and 503s; the HPA stops at its max; raising the max adds the capacity", async () => {
    const { see, act } = await start();
    const f = sim.inject({ family: "traffic_spike", target: "shop/web", params: { factor: 3 } });
    sim.advance(60_000);
    expect(see.deployment("web").spec.replicas).toBe(4);
    const hpa = sim.ctx.store.get(
      resourceOf("HorizontalPodAutoscaler"),
      "shop",
      "web",
    ) as HorizontalPodAutoscaler;
    expect(hpa.status?.conditions?.find((c) => c.type === "ScalingLimited")?.reason).toBe("TooManyReplicas");
    expect(ratio5xx("web", 30_000)).toBeGreaterThan(0.05);
    expect(see.log(see.ready("web")[0]!)).toContain("worker pool saturated");
    expect(
      see.events().some((e) => e.reason === "SuccessfulRescale" && e.message.startsWith("New size: 4")),
    ).toBe(true);
    await act.rolloutRestart("web");
    sim.advance(30_000);
    expect(see.fault(f.id).active).toBe(true);
    await act.call("PATCH", "/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/web", {
      spec: { maxReplicas: 8 },
    });
    sim.advance(60_000);
    expect(see.deployment("web").spec.replicas).toBeGreaterThan(4);
    expect(see.fault(f.id).active).toBe(false);
    expect(ratio5xx("web", 30_000)).toBe(0);
  });

  it("upstream 429s: over quota; more replicas do not help, an ingress rate limit does", async () => {
    const { see, act } = await start();
    const f = sim.inject({ family: "upstream_throttling", target: "shop/web" });
    expect(
      increase(sim, 30_000, "upstream_requests_total", { upstream: "payments-api", code: "429" }),
    ).toBeGreaterThan(0);
    expect(see.log(see.ready("web")[0]!)).toContain("upstream payments-api returned 429 Too Many Requests");
    await act.scale("web", 4);
    sim.advance(20_000);
    expect(see.fault(f.id).active).toBe(true);
    await act.call("PATCH", "/apis/networking.k8s.io/v1/namespaces/shop/ingresses/web", {
      metadata: { annotations: { "nginx.ingress.kubernetes.io/limit-rps": "30" } },
    });
    expect(see.fault(f.id).active).toBe(false);
    expect(increase(sim, 30_000, "upstream_requests_total", { upstream: "payments-api", code: "429" })).toBe(
      0,
    );
  });
});

describe("consumers", () => {
  it("Kafka lag: grows per partition; consumers short of the partition count do not help, up to it they do", async () => {
    const { see, act } = await start();
    const f = sim.inject({ family: "kafka_lag", target: "shop/orders-consumer", params: { partitions: 6 } });
    sim.advance(60_000);
    const lag = metric(sim, "kafka_consumergroup_lag_sum", { consumergroup: "orders" });
    expect(lag).toBeGreaterThan(1000);
    expect(
      metric(sim, "kafka_consumergroup_lag", { consumergroup: "orders", partition: "5" }),
    ).toBeGreaterThan(0);
    await act.scale("orders-consumer", 4);
    sim.advance(30_000);
    expect(see.fault(f.id).active).toBe(true);
    expect(metric(sim, "kafka_consumergroup_lag_sum", { consumergroup: "orders" })).toBeGreaterThan(lag);
    await act.scale("orders-consumer", 6);
    sim.advance(10_000);
    expect(see.fault(f.id).active).toBe(false);
    const peak = metric(sim, "kafka_consumergroup_lag_sum", { consumergroup: "orders" });
    sim.advance(60_000);
    expect(metric(sim, "kafka_consumergroup_lag_sum", { consumergroup: "orders" })).toBeLessThan(peak);
  });

  it("queue depth: grows while arrivals outpace the workers; a restart does not help, more workers do", async () => {
    const { see, act } = await start();
    const f = sim.inject({ family: "queue_depth", target: "shop/email-worker" });
    sim.advance(60_000);
    const depth = metric(sim, "rabbitmq_queue_messages_ready", { queue: "emails" });
    expect(depth).toBeGreaterThan(500);
    expect(see.log(see.ready("email-worker")[0]!)).toContain("WARN queue emails:");
    await act.rolloutRestart("email-worker");
    sim.advance(30_000);
    expect(see.fault(f.id).active).toBe(true);
    await act.scale("email-worker", 3);
    sim.advance(10_000);
    expect(see.fault(f.id).active).toBe(false);
    const peak = metric(sim, "rabbitmq_queue_messages_ready", { queue: "emails" });
    sim.advance(60_000);
    expect(metric(sim, "rabbitmq_queue_messages_ready", { queue: "emails" })).toBeLessThan(peak);
  });
});
