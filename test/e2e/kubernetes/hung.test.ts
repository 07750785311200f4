import { describe, expect, it } from "vitest";
import { createKubeClients } from "../../../tools/kubernetes/client.ts";
import { type KubeSim, resourceOf, type Pod } from "@aegisops/kube-sim";
import { look, useKubeHarness, signalsOf } from "./harness.ts";

const h = useKubeHarness();

/** The name of the pod the fault hung (its process ignores every kill). */
const hungPod = (sim: KubeSim): string => {
  const uid = [...sim.ctx.world.hung.keys()][0];
  const pod = (sim.ctx.store.list(resourceOf("Pod"), "shop") as Pod[]).find((p) => p.metadata.uid === uid);
  if (!pod) throw new Error("no hung pod");
  return pod.metadata.name;
};

describe("a hung container on Kubernetes", () => {
  it("probes time out on a running pod → restart_pod with force (grace period 0), verified gone and replaced", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "hung_service", target: "shop/checkout" });
    const pod = hungPod(sim);
    h.advance(40_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(signalsOf(incident)).toContain("health_timeout");
    expect(incident.decision?.action).toBe("restart_pod");
    expect(incident.decision?.family).toBe("hung_service");
    expect(incident.decision?.params).toMatchObject({ force: true, pod });
    expect(incident.status).toBe("resolved");
    expect(incident.actions[0]?.result).toMatchObject({ pod, force: true });
    expect(incident.verification?.evidence).toEqual(
      expect.arrayContaining([expect.objectContaining({ check: "replaced_pod_gone", ok: true })]),
    );
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("a plain delete left the pod stuck Terminating → restart_pod with force finishes it", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "hung_service", target: "shop/checkout" });
    const pod = hungPod(sim);
    h.advance(20_000);
    // Someone tried `kubectl delete pod` first: the process ignores the kill, the object stays Terminating.
    const kube = createKubeClients({ kind: "string", yaml: sim.kubeconfig() });
    await kube.core.deleteNamespacedPod({ name: pod, namespace: "shop" });
    h.advance(60_000);
    const still = await kube.core.readNamespacedPod({ name: pod, namespace: "shop" });
    expect(still.metadata?.deletionTimestamp).toBeDefined();
    expect(look(sim).fault(f.id).active).toBe(true);

    const incident = await h.alertAndWait({ namespace: "shop", pod });

    expect(signalsOf(incident)).toContain("stuck_terminating");
    expect(incident.decision?.action).toBe("restart_pod");
    expect(incident.decision?.params).toMatchObject({ force: true, pod });
    expect(incident.status).toBe("resolved");
    expect(incident.actions[0]?.result).toMatchObject({ pod, force: true, wasTerminating: true });
    expect(look(sim).fault(f.id).active).toBe(false);
  });
});
