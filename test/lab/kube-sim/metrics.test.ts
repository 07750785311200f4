import { afterEach, describe, expect, it } from "vitest";
import { type KubeSim, startKubeSim, renderMetrics } from "@aegisops/kube-sim";
import { increase, look, metric } from "./world.ts";

// The series deploy/prometheus/rules join on or divide by, as kube-state-metrics and node-exporter name them.
let sim: KubeSim;
afterEach(async () => {
  await sim?.stop();
});
const start = async () => {
  sim = await startKubeSim({ clock: "virtual" });
  sim.advance(5000);
  return look(sim);
};

describe("/metrics for the shipped alerting rules", () => {
  it("kube_replicaset_owner names the Deployment of each ReplicaSet, so pods map to their Deployment", async () => {
    const see = await start();
    const pod = see.pods("web")[0]!;
    const rs = pod.metadata.ownerReferences![0]!.name;
    expect(metric(sim, "kube_pod_owner", { pod: pod.metadata.name, owner_name: rs })).toBe(1);
    expect(
      metric(sim, "kube_replicaset_owner", {
        namespace: "shop",
        replicaset: rs,
        owner_kind: "Deployment",
        owner_name: "web",
      }),
    ).toBe(1);
  });

  it("kube_pod_container_resource_requests carries the containers' CPU and memory requests", async () => {
    const see = await start();
    const pod = see.pods("web")[0]!.metadata.name;
    expect(metric(sim, "kube_pod_container_resource_requests", { pod, resource: "cpu", unit: "core" })).toBe(
      0.1,
    );
    expect(metric(sim, "kube_pod_container_resource_requests", { pod, resource: "memory" })).toBe(
      128 * 1024 * 1024,
    );
  });

  it("node_netstat_Tcp_OutSegs grows on every node; retransmitted segments are the dropped share of them", async () => {
    const see = await start();
    const text = renderMetrics(sim.ctx);
    expect(text).toContain("# TYPE node_netstat_Tcp_OutSegs counter");
    const lossy = see.pods("checkout")[0]!.spec.nodeName!;
    sim.inject({ family: "packet_loss", target: "shop/checkout", params: { from: "web", loss: 0.3 } });
    sim.advance(1000);
    const before = metric(sim, "node_netstat_Tcp_RetransSegs", { node: lossy });
    const out = increase(sim, 10_000, "node_netstat_Tcp_OutSegs", { node: lossy });
    const retrans = metric(sim, "node_netstat_Tcp_RetransSegs", { node: lossy }) - before;
    expect(out).toBeGreaterThan(0);
    expect(retrans / out).toBeCloseTo(0.3, 2);
    const healthy = ["sim-node-1", "sim-node-2", "sim-node-3"].find((n) => n !== lossy)!;
    const b = metric(sim, "node_netstat_Tcp_RetransSegs", { node: healthy });
    expect(increase(sim, 10_000, "node_netstat_Tcp_OutSegs", { node: healthy })).toBeGreaterThan(0);
    expect(metric(sim, "node_netstat_Tcp_RetransSegs", { node: healthy }) - b).toBe(0);
  });
});
