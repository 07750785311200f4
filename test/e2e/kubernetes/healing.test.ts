import { describe, expect, it } from "vitest";
import { createKubeClients } from "../../../tools/kubernetes/client.ts";
import { mergePatch } from "../../../tools/kubernetes/kubeErrors.ts";
import { createRolloutRestartTool } from "../../../tools/kubernetes/rolloutRestart.ts";
import { look, useKubeHarness, signalsOf } from "./harness.ts";

const h = useKubeHarness();

describe("Kubernetes healing on the simulator", () => {
  it("crash loop that began with a new release → rollback_deployment, verified", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    h.advance(30_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(incident.decision?.action).toBe("rollback_deployment");
    expect(signalsOf(incident)).toEqual(expect.arrayContaining(["crash_loop", "recent_rollout"]));
    expect(incident.status).toBe("resolved");
    expect(incident.verification?.healthy).toBe(true);
    expect(incident.actions[0]?.result).toMatchObject({ fromRevision: 2, toRevision: 1 });
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("a bad release that was then rollout-restarted → rollback skips the restarted copy of the bad release", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    h.advance(20_000);
    // Someone tried `kubectl rollout restart` first: revision 3 is the bad release again, so is revision 2.
    const kube = createKubeClients({ kind: "string", yaml: sim.kubeconfig() });
    await createRolloutRestartTool({ kube }).execute({ namespace: "shop", deployment: "checkout" });
    h.advance(30_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(incident.decision?.action).toBe("rollback_deployment");
    expect(incident.actions[0]?.result).toMatchObject({ fromRevision: 3, toRevision: 1 });
    expect(incident.status).toBe("resolved");
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("look-alike: crash loop from a deleted Secret → no action, escalated, nothing changed", async () => {
    const sim = h.sim();
    const see = look(sim);
    const f = sim.inject({ family: "crashloop", target: "shop/web", variant: "missing_secret" });
    h.advance(30_000);
    const before = {
      generation: see.deployment("web").metadata.generation,
      pods: see
        .pods("web")
        .map((p) => p.metadata.name)
        .sort(),
    };
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "web" });

    expect(incident.status).toBe("escalated");
    expect(incident.decision?.action).toBe("none");
    expect(signalsOf(incident)).toEqual(expect.arrayContaining(["crash_loop", "missing_secret"]));
    expect(incident.actions).toHaveLength(0);
    expect(see.deployment("web").metadata.generation).toBe(before.generation);
    expect(
      see
        .pods("web")
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(before.pods);
    expect(see.fault(f.id).active).toBe(true);
  });

  it("OOM kills from a leaky release → rollback_deployment, verified", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "oom_killed", target: "shop/web" });
    h.advance(90_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "web" });

    expect(signalsOf(incident)).toEqual(expect.arrayContaining(["oom_killed", "recent_rollout"]));
    expect(incident.decision?.action).toBe("rollback_deployment");
    expect(incident.decision?.family).toBe("oom_killed");
    expect(incident.status).toBe("resolved");
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("node NotReady → cordon_drain_node (high tier, allowed in auto by the test policy), verified", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "node_not_ready", target: "sim-node-1" });
    h.advance(10_000);
    const incident = await h.alertAndWait({ node: "sim-node-1" });

    expect(signalsOf(incident)).toContain("node_not_ready");
    expect(incident.decision?.action).toBe("cordon_drain_node");
    expect(incident.status).toBe("resolved");
    expect((incident.actions[0]?.result?.evicted as string[]).length).toBeGreaterThan(0);
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("look-alike: a node alert while the node is Ready → no action, nothing cordoned", async () => {
    const sim = h.sim();
    const incident = await h.alertAndWait({ node: "sim-node-2" });

    expect(incident.decision?.action).toBe("none");
    expect(incident.actions).toHaveLength(0);
    expect(signalsOf(incident)).toContain("healthy");
    const node = sim.ctx.store.list((await import("@aegisops/kube-sim")).resourceOf("Node")) as Array<{
      metadata: { name: string };
      spec?: { unschedulable?: boolean };
    }>;
    expect(node.find((n) => n.metadata.name === "sim-node-2")?.spec?.unschedulable).toBeFalsy();
  });

  it("consumer lag with fewer consumers than partitions → add_kafka_consumers up to the partition count", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "kafka_lag", target: "shop/orders-consumer" });
    h.advance(30_000);
    const incident = await h.alertAndWait({ service: "orders", consumergroup: "orders", topic: "orders" });

    expect(signalsOf(incident)).toEqual(
      expect.arrayContaining(["consumer_lag", "consumers_below_partitions"]),
    );
    expect(incident.decision?.action).toBe("add_kafka_consumers");
    expect(incident.status).toBe("resolved");
    expect(incident.actions[0]?.result).toMatchObject({ previousReplicas: 2, replicas: 6 });
    expect(look(sim).deployment("orders-consumer").spec.replicas).toBe(6);
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("look-alike: consumer lag with a consumer per partition already → no action, escalated", async () => {
    const sim = h.sim();
    // Lag built up while the group was short; now every partition has a consumer and the backlog drains slowly.
    sim.inject({ family: "kafka_lag", target: "shop/orders-consumer" });
    h.advance(60_000);
    const kube = createKubeClients({ kind: "string", yaml: sim.kubeconfig() });
    await kube.apps.patchNamespacedDeploymentScale(
      { name: "orders-consumer", namespace: "shop", body: { spec: { replicas: 6 } } },
      mergePatch,
    );
    h.advance(20_000);
    const incident = await h.alertAndWait({ service: "orders", consumergroup: "orders", topic: "orders" });

    expect(signalsOf(incident)).toEqual(expect.arrayContaining(["consumer_lag", "consumers_at_partitions"]));
    expect(incident.decision?.action).toBe("none");
    expect(incident.status).toBe("escalated");
    expect(incident.actions).toHaveLength(0);
    expect(look(sim).deployment("orders-consumer").spec.replicas).toBe(6);
  });

  it("control: a lag alert while the consumers report no lag now (a rebalance that has passed) → nothing scaled", async () => {
    const sim = h.sim();
    h.advance(20_000);
    const incident = await h.alertAndWait({ service: "orders", consumergroup: "orders", topic: "orders" });

    expect(signalsOf(incident)).not.toContain("consumer_lag");
    expect(incident.decision?.action).toBe("none");
    expect(incident.actions).toHaveLength(0);
    expect(look(sim).deployment("orders-consumer").spec.replicas).toBe(2);
  });

  it("clients report slow queries on the database's primary → failover_database to the secondary, verified", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "db_latency", target: "shop/orders-db" });
    h.advance(30_000);
    const incident = await h.alertAndWait({ service: "orders-db" });

    expect(signalsOf(incident)).toContain("db_slow");
    expect(incident.decision?.action).toBe("failover_database");
    expect(incident.status).toBe("resolved");
    expect(incident.actions[0]?.result).toMatchObject({ from: "primary", to: "secondary" });
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("look-alike: slow queries while the database already runs on its secondary → no action, escalated", async () => {
    const sim = h.sim();
    const kube = createKubeClients({ kind: "string", yaml: sim.kubeconfig() });
    await kube.core.patchNamespacedService(
      { name: "orders-db", namespace: "shop", body: { spec: { selector: { role: "secondary" } } } },
      mergePatch,
    );
    sim.inject({ family: "db_latency", target: "shop/orders-db" });
    h.advance(30_000);
    const incident = await h.alertAndWait({ service: "orders-db" });

    expect(signalsOf(incident)).toEqual(expect.arrayContaining(["db_slow", "db_on_secondary"]));
    expect(incident.decision?.action).toBe("none");
    expect(incident.status).toBe("escalated");
    expect(incident.actions).toHaveLength(0);
  });

  it("server errors that began with a new release → rollback_deployment, verified", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "http_5xx", target: "shop/checkout" });
    h.advance(40_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(signalsOf(incident)).toEqual(expect.arrayContaining(["http_errors", "recent_rollout"]));
    expect(incident.decision?.action).toBe("rollback_deployment");
    expect(incident.status).toBe("resolved");
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("look-alike: 5xx from an upstream's 429s (no new release) → rate_limit_traffic on the Ingress, verified", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "upstream_throttling", target: "shop/web" });
    h.advance(30_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "web" });

    expect(signalsOf(incident)).toContain("upstream_throttled");
    expect(signalsOf(incident)).not.toContain("recent_rollout");
    expect(incident.decision?.action).toBe("rate_limit_traffic");
    expect(incident.status).toBe("resolved");
    expect(incident.actions[0]?.result).toMatchObject({ ingress: "web", limitRps: 20, previous: null });
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("slow responses from the one pod on a noisy node → recreate_pod_elsewhere, verified", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "latency_p95", target: "shop/web" });
    h.advance(30_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "web" });

    expect(signalsOf(incident)).toContain("slow_on_one_node");
    expect(incident.decision?.action).toBe("recreate_pod_elsewhere");
    expect(incident.status).toBe("resolved");
    const result = incident.actions[0]?.result as { fromNode: string; toNode: string };
    expect(result.toNode).not.toBe(result.fromNode);
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("look-alike: every pod slow from a traffic surge with the HPA at its max → raise_hpa_limits, verified", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "traffic_spike", target: "shop/web" });
    h.advance(120_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "web" });

    expect(signalsOf(incident)).toEqual(expect.arrayContaining(["capacity_saturated", "hpa_at_max"]));
    expect(signalsOf(incident)).not.toContain("slow_on_one_node");
    expect(incident.decision?.action).toBe("raise_hpa_limits");
    expect(incident.status).toBe("resolved");
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("node under disk pressure → cordon_drain_node, verified", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "disk_pressure", target: "sim-node-2" });
    h.advance(10_000);
    const incident = await h.alertAndWait({ node: "sim-node-2" });

    expect(signalsOf(incident)).toContain("disk_pressure");
    expect(incident.decision?.action).toBe("cordon_drain_node");
    expect(incident.decision?.family).toBe("disk_pressure");
    expect(incident.status).toBe("resolved");
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("a work queue growing behind healthy workers → scale_deployment", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "queue_depth", target: "shop/email-worker" });
    h.advance(30_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "email-worker" });

    expect(signalsOf(incident)).toContain("queue_backlog");
    expect(incident.decision?.action).toBe("scale_deployment");
    expect(incident.status).toBe("resolved");
    expect(look(sim).deployment("email-worker").spec.replicas).toBeGreaterThan(1);
    h.advance(60_000);
    expect(look(sim).fault(f.id).active).toBe(false);
  });
});
