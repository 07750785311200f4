import { describe, expect, it } from "vitest";
import { look, useKubeHarness, signalsOf } from "./harness.ts";

// The agent runs on the cluster's clock: memory sampling waits simulated seconds, which the ticker moves.
const h = useKubeHarness(undefined, { clusterClock: true });

describe("Kubernetes diagnosis from evidence over time", () => {
  it("a slow leak in a new release (memory growing in every new pod, no OOM yet) → rollback_deployment, verified", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "memory_leak", target: "shop/checkout", variant: "leaky_release" });
    // 16 MiB/min from 96 MiB: about 160 of 256 MiB after four minutes, nothing killed yet.
    h.advance(240_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(signalsOf(incident)).toEqual(expect.arrayContaining(["memory_growth", "recent_rollout"]));
    expect(signalsOf(incident)).not.toContain("oom_killed");
    expect(incident.decision?.action).toBe("rollback_deployment");
    expect(incident.decision?.family).toBe("memory_leak");
    expect(incident.status).toBe("resolved");
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("packet loss between web and checkout (a bad NIC on the callee's node) → recreate_pod_elsewhere of the callee's pod, verified", async () => {
    const sim = h.sim();
    const f = sim.inject({
      family: "packet_loss",
      target: "shop/checkout",
      params: { from: "web", loss: 0.3 },
    });
    const lossyNode = look(sim)
      .pods("checkout")
      .find((p) => sim.ctx.world.node(p.spec.nodeName!).packetLoss > 0)!.spec.nodeName!;
    const webPods = look(sim).podNames("web");
    h.advance(30_000);
    // The caller alerts (its 502s); nothing names the callee but the caller's own logs.
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "web" });

    expect(signalsOf(incident)).toEqual(expect.arrayContaining(["callee_unreachable", "callee_node_lossy"]));
    expect(incident.decision?.action).toBe("recreate_pod_elsewhere");
    expect(incident.decision?.family).toBe("packet_loss");
    expect(incident.status).toBe("resolved");
    expect(String(incident.actions[0]?.result?.pod ?? JSON.stringify(incident.actions[0]?.result))).toMatch(
      /checkout-/,
    );
    expect(
      look(sim)
        .pods("checkout")
        .every((p) => p.spec.nodeName !== lossyNode),
    ).toBe(true);
    expect(look(sim).podNames("web")).toEqual(webPods);
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("the same packet loss alerted on the callee itself → recreate_pod_elsewhere of its pod on the lossy node, verified", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "packet_loss", target: "shop/checkout", params: { loss: 0.3 } });
    const lossyNode = look(sim)
      .pods("checkout")
      .find((p) => sim.ctx.world.node(p.spec.nodeName!).packetLoss > 0)!.spec.nodeName!;
    h.advance(30_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(signalsOf(incident)).toContain("node_network_lossy");
    expect(incident.decision?.action).toBe("recreate_pod_elsewhere");
    expect(incident.status).toBe("resolved");
    expect(
      look(sim)
        .pods("checkout")
        .every((p) => p.spec.nodeName !== lossyNode),
    ).toBe(true);
    expect(look(sim).fault(f.id).active).toBe(false);
  });
});
