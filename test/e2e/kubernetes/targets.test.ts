import { describe, expect, it } from "vitest";
import { resourceOf } from "@aegisops/kube-sim";
import { look, signalsOf, useKubeHarness } from "./harness.ts";

// Alerts as other rule sets label them (blackbox, node-exporter, kube-state-metrics): triage pins each to the object
// behind the labels by reading the cluster.
const h = useKubeHarness();

const nodeAddress = (name: string): string => {
  const node = h.sim().ctx.store.get(resourceOf("Node"), "", name) as {
    status?: { addresses?: Array<{ type: string; address: string }> };
  };
  return node.status!.addresses!.find((a) => a.type === "InternalIP")!.address;
};

describe("targets from other rule sets' labels, on the simulator", () => {
  it("a blackbox probe of a Service's URL → the Deployment its pods belong to, rolled back", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    h.advance(60_000);
    const incident = await h.alertAndWait({
      alertname: "BlackboxProbeFailed",
      job: "blackbox",
      instance: "http://checkout.shop.svc.cluster.local/healthz",
    });

    expect(incident.target).toMatchObject({ kind: "k8s_workload", workload: "deployment", name: "checkout" });
    expect(incident.decision?.action).toBe("rollback_deployment");
    expect(incident.status).toBe("resolved");
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("node-exporter's instance address → the node with that InternalIP, cordoned and drained", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "node_not_ready", target: "sim-node-2" });
    h.advance(10_000);
    const incident = await h.alertAndWait({
      alertname: "HostHighCpuLoad",
      job: "node-exporter",
      instance: `${nodeAddress("sim-node-2")}:9100`,
    });

    expect(incident.target).toMatchObject({ kind: "k8s_node", name: "sim-node-2" });
    expect(signalsOf(incident)).toContain("node_not_ready");
    expect(incident.decision?.action).toBe("cordon_drain_node");
    expect(incident.status).toBe("resolved");
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("look-alike: an address no node has → escalated naming it, nothing acted on", async () => {
    const incident = await h.alertAndWait({
      alertname: "HostHighCpuLoad",
      job: "node-exporter",
      instance: "10.9.9.9:9100",
    });

    expect(incident.status).toBe("escalated");
    expect(incident.statusReason).toMatch(
      /no node has the name or address 10\.9\.9\.9 \(from instance="10\.9\.9\.9:9100"\)/,
    );
    expect(incident.actions).toHaveLength(0);
  });

  it("kube-state-metrics' HPA alert → the Deployment the HPA scales (healthy here: no action)", async () => {
    const incident = await h.alertAndWait({
      alertname: "KubeHpaMaxedOut",
      job: "kube-state-metrics",
      container: "kube-state-metrics",
      namespace: "shop",
      horizontalpodautoscaler: "web",
    });

    expect(incident.target).toMatchObject({ kind: "k8s_workload", workload: "deployment", name: "web" });
    expect(incident.decision?.action).toBe("none");
    expect(incident.actions).toHaveLength(0);
  });

  it("KubeDeploymentReplicasMismatch with kube-prometheus-stack's scrape labels (the exporter's own pod) → the Deployment", async () => {
    const incident = await h.alertAndWait({
      alertname: "KubeDeploymentReplicasMismatch",
      job: "kube-state-metrics",
      container: "kube-state-metrics",
      endpoint: "http",
      instance: "10.52.0.14:8080",
      pod: "kube-prometheus-stack-kube-state-metrics-7d9c5b6f4-x2x4p",
      service: "kube-prometheus-stack-kube-state-metrics",
      namespace: "shop",
      deployment: "web",
    });

    expect(incident.target).toMatchObject({ kind: "k8s_workload", workload: "deployment", name: "web" });
    expect(incident.statusReason ?? "").not.toMatch(/kube-state-metrics/);
  });

  it("a pod label without a namespace (aggregated away) → the one pod of that name in the cluster", async () => {
    const sim = h.sim();
    sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    h.advance(60_000);
    const pod = look(sim).pods("checkout")[0]!.metadata.name;
    const incident = await h.alertAndWait({
      alertname: "ContainerHighCpuUtilization",
      pod,
      container: "checkout",
    });

    expect(incident.target).toMatchObject({
      kind: "k8s_workload",
      workload: "pod",
      namespace: "shop",
      name: pod,
    });
  });

  it("look-alike: the same pod name in two namespaces → escalated naming both, nothing acted on", async () => {
    const sim = h.sim();
    const original = look(sim).pods("checkout")[0]!;
    const pod = original.metadata.name;
    sim.ctx.store.create(resourceOf("Pod"), {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: pod, namespace: "default" },
      spec: { containers: [{ name: "checkout", image: "checkout:1" }] },
    });
    const incident = await h.alertAndWait({
      alertname: "ContainerHighCpuUtilization",
      pod,
      container: "checkout",
    });

    expect(incident.status).toBe("escalated");
    expect(incident.statusReason).toMatch(
      new RegExp(`pod ${pod} exists in several namespaces \\((default, shop|shop, default)\\)`),
    );
    expect(incident.actions).toHaveLength(0);
  });

  it("a blackbox probe of a Service with no endpoints (its Deployment scaled to zero) → that Deployment", async () => {
    const sim = h.sim();
    const d = structuredClone(look(sim).deployment("checkout"));
    sim.ctx.store.update(resourceOf("Deployment"), {
      ...d,
      metadata: { ...d.metadata, resourceVersion: undefined },
      spec: { ...d.spec, replicas: 0 },
    });
    h.advance(60_000);
    const incident = await h.alertAndWait({
      alertname: "BlackboxProbeFailed",
      job: "blackbox-http",
      instance: "http://checkout.shop.svc.cluster.local/healthz",
    });

    expect(incident.target).toMatchObject({ kind: "k8s_workload", workload: "deployment", name: "checkout" });
  });
});
