import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { look, startKubeHarness, type KubeHarness } from "./harness.ts";

// The agent runs on the cluster's clock: memory sampling waits simulated seconds, which the ticker moves.
let h: KubeHarness;
beforeAll(async () => {
  h = await startKubeHarness(undefined, { clusterClock: true });
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(async () => {
  await h.freshCluster();
});

const signalsOf = (i: { evidence: { signals: Array<{ name: string }> } | null }) =>
  i.evidence?.signals.map((s) => s.name) ?? [];

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
});
