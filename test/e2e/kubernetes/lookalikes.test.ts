import { describe, expect, it } from "vitest";
import { resourceOf } from "@aegisops/kube-sim";
import { look, useKubeHarness, signalsOf } from "./harness.ts";

// Each case looks like one of the twelve failure scenarios, but the evidence asks for a different answer.
const h = useKubeHarness(undefined, { clusterClock: true });

describe("Kubernetes look-alikes on the simulator", () => {
  it("memory high after a new release but flat (a warmed cache) → no action, not a rollback", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "memory_leak", target: "shop/checkout", variant: "warm_cache" });
    h.advance(300_000);
    const generation = look(sim).deployment("checkout").metadata.generation;
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(signalsOf(incident)).toContain("memory_plateau");
    expect(signalsOf(incident)).not.toContain("memory_growth");
    expect(incident.decision?.action).toBe("none");
    expect(incident.status).toBe("escalated");
    expect(incident.decision?.rationale).toMatch(/flat/);
    expect(incident.actions).toHaveLength(0);
    expect(look(sim).deployment("checkout").metadata.generation).toBe(generation);
    expect(look(sim).fault(f.id).active).toBe(true);
  });

  it("the caller's 502s come from the callee's new release (not packet loss) → the callee is rolled back, the caller untouched", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "http_5xx", target: "shop/checkout", params: { errorRatio: 0.3 } });
    h.advance(30_000);
    const webPods = look(sim).podNames("web");
    const webGeneration = look(sim).deployment("web").metadata.generation;
    const web = await h.alertAndWait({ namespace: "shop", deployment: "web" });

    expect(signalsOf(web)).toContain("callee_errors");
    expect(signalsOf(web)).not.toContain("callee_node_lossy");
    expect(web.evidence?.dependency?.target.key).toBe("k8s::shop/deployment/checkout");
    expect(web.decision?.action).toBe("rollback_deployment");
    expect(web.decision?.target).toBe("shop/deployment/checkout");
    expect(web.decision?.rationale).toMatch(/comes from shop\/deployment\/checkout/);
    expect(web.timeline.map((e) => e.message).join("\n")).toMatch(
      /acting on it, not on the service that alerted/,
    );
    expect(web.status).toBe("resolved");
    expect(look(sim).fault(f.id).active).toBe(false);
    expect(look(sim).podNames("web")).toEqual(webPods);
    expect(look(sim).deployment("web").metadata.generation).toBe(webGeneration);
  });

  it("the caller's 502s come from a callee with no new release to undo → escalated naming it, neither is changed", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "http_5xx", target: "shop/checkout", variant: "bad_version" });
    h.advance(30_000);
    const before = ["web", "checkout"].map((d) => look(sim).deployment(d).metadata.generation);
    const checkoutPods = look(sim).podNames("checkout");
    const web = await h.alertAndWait({ namespace: "shop", deployment: "web" });

    expect(signalsOf(web)).toContain("callee_errors");
    expect(web.evidence?.dependency?.signals.map((s) => s.name)).not.toContain("recent_rollout");
    expect(web.decision?.action).toBe("none");
    expect(web.status).toBe("escalated");
    expect(web.decision?.rationale).toMatch(/service this one calls/);
    expect(web.evidence?.signals.find((x) => x.name === "callee_errors")?.value).toBe("checkout");
    expect(web.actions).toHaveLength(0);
    expect(["web", "checkout"].map((d) => look(sim).deployment(d).metadata.generation)).toEqual(before);
    expect(look(sim).podNames("checkout")).toEqual(checkoutPods);
    expect(look(sim).fault(f.id).active).toBe(true);
  });

  it("a queue growing because its workers crash (a bad release) → rollback_deployment, not more crashing workers", async () => {
    const sim = h.sim();
    sim.inject({ family: "queue_depth", target: "shop/email-worker" });
    const crash = sim.inject({ family: "crashloop", target: "shop/email-worker", variant: "bad_image" });
    h.advance(60_000);
    const replicas = look(sim).deployment("email-worker").spec.replicas;
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "email-worker" });

    expect(signalsOf(incident)).toEqual(expect.arrayContaining(["crash_loop", "recent_rollout"]));
    expect(incident.decision?.action).toBe("rollback_deployment");
    expect(incident.actions.map((a) => a.action)).not.toContain("scale_deployment");
    expect(look(sim).deployment("email-worker").spec.replicas).toBe(replicas);
    expect(incident.status).toBe("resolved");
    expect(look(sim).fault(crash.id).active).toBe(false);
  });

  it("traffic up 1.5× in minutes but within capacity (no pod sheds load) → no action, nothing scaled", async () => {
    const sim = h.sim();
    sim.inject({ family: "traffic_spike", target: "shop/web", params: { factor: 1.5 } });
    h.advance(120_000);
    const before = {
      replicas: look(sim).deployment("web").spec.replicas,
      generation: look(sim).deployment("web").metadata.generation,
    };
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "web" });

    expect(signalsOf(incident)).not.toContain("capacity_saturated");
    expect(incident.decision?.action).toBe("none");
    expect(incident.actions).toHaveLength(0);
    expect(look(sim).deployment("web").spec.replicas).toBe(before.replicas);
    expect(look(sim).deployment("web").metadata.generation).toBe(before.generation);
  });

  it("errors at a service that calls a quota'd upstream, from its own new release (no 429s) → rollback, no rate limit", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "http_5xx", target: "shop/web" });
    h.advance(40_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "web" });

    expect(signalsOf(incident)).not.toContain("upstream_throttled");
    expect(incident.decision?.action).toBe("rollback_deployment");
    expect(incident.actions.map((a) => a.action)).not.toContain("rate_limit_traffic");
    const ingress = sim.ctx.store.get(resourceOf("Ingress"), "shop", "web");
    expect(ingress?.metadata.annotations?.["nginx.ingress.kubernetes.io/limit-rps"]).toBeUndefined();
    expect(incident.status).toBe("resolved");
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("p95 over threshold in every pod (no noisy node, no HPA): traffic 3× → scale_deployment, not recreate", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "traffic_spike", target: "shop/checkout", params: { factor: 3 } });
    h.advance(30_000);
    const pods = look(sim).podNames("checkout");
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(signalsOf(incident)).toContain("capacity_saturated");
    expect(signalsOf(incident)).not.toContain("slow_on_one_node");
    expect(incident.decision?.action).toBe("scale_deployment");
    expect(incident.status).toBe("resolved");
    expect(look(sim).deployment("checkout").spec.replicas).toBeGreaterThan(2);
    // The pods that were there still serve: nothing was moved or restarted.
    expect(
      look(sim)
        .pods("checkout")
        .map((p) => p.metadata.name)
        .filter((n) => pods.includes(n))
        .sort(),
    ).toEqual(pods);
    expect(look(sim).fault(f.id).active).toBe(false);
  });
});
