import { describe, expect, it } from "vitest";
import { type KubeSim, resourceOf, type Deployment } from "@aegisops/kube-sim";
import { look, signalsOf, useKubeHarness } from "./harness.ts";

// Replicas scaled to zero, and changes already under way: the evidence is the Deployment's own record.
const h = useKubeHarness(undefined, { clusterClock: true });

function change(sim: KubeSim, name: string, edit: (d: Deployment) => void) {
  const next = structuredClone(look(sim).deployment(name));
  edit(next);
  sim.ctx.store.update(resourceOf("Deployment"), {
    ...next,
    metadata: { ...next.metadata, resourceVersion: undefined },
  });
}

describe("a Deployment scaled to zero", () => {
  it("scaled to zero by a recent change → scaled back to the count it ran at before, verified", async () => {
    const sim = h.sim();
    const before = look(sim).deployment("web").spec.replicas;
    change(sim, "web", (d) => (d.spec.replicas = 0));
    h.advance(60_000);
    expect(look(sim).pods("web")).toHaveLength(0);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "web" });

    expect(signalsOf(incident)).toContain("scaled_to_zero");
    expect(incident.decision?.action).toBe("scale_deployment");
    expect(incident.decision?.params).toEqual({ replicas: before });
    expect(incident.status).toBe("resolved");
    expect(look(sim).deployment("web").spec.replicas).toBe(before);
  });

  it("look-alike: at zero for over an hour (no record of the count before) → escalated, left at zero", async () => {
    const sim = h.sim();
    change(sim, "web", (d) => (d.spec.replicas = 0));
    // Events are kept an hour: after that, nothing says what it ran at or when it changed. Time moves in steps that
    // let this process's event loop run in between (a long synchronous advance starves its HTTP client's sockets).
    for (let i = 0; i < 13; i++) {
      h.advance(5 * 60_000);
      await new Promise((r) => setImmediate(r));
    }
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "web" });

    expect(signalsOf(incident)).toContain("replicas_zero");
    expect(incident.decision?.action).toBe("none");
    expect(incident.status).toBe("escalated");
    expect(incident.actions).toHaveLength(0);
    expect(look(sim).deployment("web").spec.replicas).toBe(0);
  });
});

describe("a rollout already under way", () => {
  it("new pods that start slowly but do not fail → no second action, saying why", async () => {
    const sim = h.sim();
    change(sim, "checkout", (d) => {
      const c = d.spec.template.spec.containers[0]!;
      c.env = [...(c.env ?? []), { name: "FEATURE_X", value: "on" }];
      c.readinessProbe = { tcpSocket: { port: 8080 }, initialDelaySeconds: 600, periodSeconds: 10 };
      d.spec.strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
    });
    h.advance(30_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(signalsOf(incident)).toContain("rollout_in_progress");
    expect(incident.decision?.action).toBe("none");
    expect(incident.decision?.rationale).toMatch(/already under way/);
    expect(incident.actions).toHaveLength(0);
  });

  it("look-alike: the new pods crash → rolled back (a rollout that fails is not one to wait for)", async () => {
    const sim = h.sim();
    sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    h.advance(60_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(signalsOf(incident)).not.toContain("rollout_in_progress");
    expect(incident.decision?.action).toBe("rollback_deployment");
  });
});

describe("the object an action acts on", () => {
  it("a bad release alerted by one of its pods → the rollback's decision names the owning Deployment, not the pod", async () => {
    const sim = h.sim();
    sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    h.advance(60_000);
    const failing = look(sim)
      .pods("checkout")
      .find((p) => p.status?.containerStatuses?.some((c) => (c.restartCount ?? 0) > 0 || c.state?.waiting))!;
    const incident = await h.alertAndWait({ namespace: "shop", pod: failing.metadata.name });

    expect(incident.decision?.action).toBe("rollback_deployment");
    expect(incident.decision?.target).toBe("shop/deployment/checkout");
  });
});

describe("a Service that routes nowhere (no catalog action edits a Service)", () => {
  function editService(sim: KubeSim, name: string, edit: (spec: Record<string, unknown>) => void) {
    const svc = structuredClone(sim.ctx.store.get(resourceOf("Service"), "shop", name)!);
    const spec = svc.spec as Record<string, unknown>;
    edit(spec);
    sim.ctx.store.update(resourceOf("Service"), {
      ...svc,
      spec,
      metadata: { ...svc.metadata, resourceVersion: undefined },
    });
  }

  it("an alert on a Service whose selector matches no pod → escalated with the selector's diff, nothing changed", async () => {
    const sim = h.sim();
    // checkout has no policy entry: the alert's Service is pinned through the cluster, where its selector leads nowhere.
    editService(sim, "checkout", (spec) => (spec.selector = { app: "checkout-v2" }));
    h.advance(10_000);
    const incident = await h.alertAndWait({ namespace: "shop", service: "checkout" });

    expect(incident.status).toBe("escalated");
    expect(incident.statusReason).toMatch(
      /Service checkout has no endpoints while \d pod\(s\) of checkout are Ready: its selector wants app=checkout-v2 \(the pods carry app=checkout\)/,
    );
    expect(incident.actions).toHaveLength(0);
  });

  it("an alert on the workload whose Service points at a port its pods do not serve → escalated naming the targetPort", async () => {
    const sim = h.sim();
    editService(sim, "web", (spec) => {
      const ports = spec.ports as Array<Record<string, unknown>>;
      spec.ports = ports.map((p) => ({ ...p, targetPort: 9999 }));
    });
    h.advance(10_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "web" });

    expect(signalsOf(incident)).toContain("service_misrouted");
    expect(incident.decision?.action).toBe("none");
    expect(incident.decision?.rationale).toMatch(/no catalog action edits a Service/);
    expect(incident.status).toBe("escalated");
  });
});

describe("a symptom whose cause is a dependency", () => {
  it("web slow while the database it queries is slow → the database (mapped in the policy) is failed over by its own evidence; web is neither restarted nor scaled", async () => {
    const sim = h.sim();
    sim.inject({ family: "db_latency", target: "shop/orders-db" });
    h.advance(30_000);
    const replicas = look(sim).deployment("web").spec.replicas;
    const pods = look(sim).podNames("web");
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "web" });

    expect(incident.evidence?.signals.find((s) => s.name === "dependency_slow")?.value).toBe("orders-db");
    // The database's own evidence: its clients report slow queries on the instance its Service selects.
    expect(incident.evidence?.dependency?.signals.map((s) => s.name)).toContain("db_slow");
    expect(incident.decision?.action).toBe("failover_database");
    expect(incident.decision?.actsOn?.key).toBe("k8s::shop/deployment/orders-db-primary");
    expect(incident.actions.map((a) => [a.action, a.target])).toEqual([
      ["failover_database", "shop/deployment/orders-db-primary"],
    ]);
    expect(incident.status).toBe("resolved");
    expect(look(sim).deployment("web").spec.replicas).toBe(replicas);
    expect(look(sim).podNames("web")).toEqual(pods);
  });
});
