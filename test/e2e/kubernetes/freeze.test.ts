import { describe, expect, it } from "vitest";
import { type KubeSim, resourceOf } from "@aegisops/kube-sim";
import { policySchema } from "../../../agent/policy/schema.ts";
import { autoHighPolicy, look, useKubeHarness } from "./harness.ts";

const FREEZE = "example.com/change-freeze";
const h = useKubeHarness(
  policySchema.parse({ ...autoHighPolicy(), changeFreeze: { annotations: [FREEZE] } }),
  {
    clusterClock: true,
  },
);

function annotate(sim: KubeSim, name: string, value: string) {
  const d = structuredClone(look(sim).deployment(name));
  d.metadata.annotations = { ...d.metadata.annotations, [FREEZE]: value };
  sim.ctx.store.update(resourceOf("Deployment"), {
    ...d,
    metadata: { ...d.metadata, resourceVersion: undefined },
  });
}

describe("a change freeze the policy names", () => {
  it("a frozen Deployment with a bad release → no action, dismissed naming the annotation", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    annotate(sim, "checkout", "release freeze until Monday");
    h.advance(60_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(incident.status).toBe("dismissed");
    expect(incident.statusReason).toMatch(
      /change freeze: deployment shop\/checkout carries example.com\/change-freeze="release freeze until Monday"/,
    );
    expect(incident.actions).toHaveLength(0);
    expect(look(sim).fault(f.id).active).toBe(true);
  });

  it("a freeze on the Deployment covers an alert that names one of its pods", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    annotate(sim, "checkout", "quarter close");
    h.advance(60_000);
    const failing = look(sim)
      .pods("checkout")
      .find((p) => p.status?.containerStatuses?.some((c) => (c.restartCount ?? 0) > 0 || c.state?.waiting))!;
    const incident = await h.alertAndWait({ namespace: "shop", pod: failing.metadata.name });

    expect(incident.status).toBe("dismissed");
    expect(incident.statusReason).toMatch(/change freeze: deployment shop\/checkout \(owner of the pod\)/);
    expect(incident.actions).toHaveLength(0);
    expect(look(sim).fault(f.id).active).toBe(true);
  });

  it('look-alike: the same annotation set to "false" → the bad release is rolled back', async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    annotate(sim, "checkout", "false");
    h.advance(60_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(incident.decision?.action).toBe("rollback_deployment");
    expect(incident.status).toBe("resolved");
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("an alert naming one POD of a frozen Deployment → no action: the freeze on its owner holds", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    annotate(sim, "checkout", "quarter close");
    h.advance(60_000);
    const pod = look(sim).pods("checkout")[0]!.metadata.name;
    const incident = await h.alertAndWait({ namespace: "shop", pod, container: "checkout" });

    expect(incident.status).toBe("dismissed");
    expect(incident.statusReason).toMatch(
      /change freeze: deployment shop\/checkout \(owner of the pod\) carries example.com\/change-freeze="quarter close"/,
    );
    expect(incident.actions).toHaveLength(0);
    expect(look(sim).fault(f.id).active).toBe(true);
  });
});
