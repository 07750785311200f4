import { describe, expect, it } from "vitest";
import type { Incident } from "../../../core/types.ts";
import type { KubeSim } from "@aegisops/kube-sim";
import { postAlerts, retargeted } from "../../helpers/alerts.ts";
import { waitForFinished } from "../../helpers/aegis.ts";
import { ALERT, look, useKubeHarness } from "./harness.ts";

const h = useKubeHarness();

const available = (sim: KubeSim, name: string) => look(sim).deployment(name).status?.availableReplicas ?? 0;
const readyPods = (sim: KubeSim, app: string) =>
  look(sim)
    .pods(app)
    .filter((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));

/**
 * Post one alert and let the cluster's time flow until its incident finished; `chaos` runs once, on the first
 * tick where `during` holds (the remediation is under way), and may strike the cluster.
 */
async function alertWithChaos(
  labels: Record<string, string>,
  during: (sim: KubeSim) => boolean,
  chaos: (sim: KubeSim) => Promise<void>,
): Promise<{ incident: Incident; struck: boolean }> {
  const res = await postAlerts(h.aegis.baseUrl, retargeted({ alertname: ALERT, ...labels }));
  expect(res.status).toBe(202);
  const id = (res.body.incidents as Array<{ id: string }>)[0]!.id;
  const sim = h.sim();
  let strike: Promise<void> | undefined;
  const ticker = setInterval(() => {
    sim.advance(500);
    if (!strike && during(sim)) strike = chaos(sim);
  }, 25);
  try {
    const incident = await waitForFinished(h.aegis.baseUrl, id, 45_000);
    await strike;
    return { incident, struck: strike !== undefined };
  } finally {
    clearInterval(ticker);
  }
}

async function killPod(sim: KubeSim, name: string): Promise<void> {
  const res = await fetch(`${sim.url}/api/v1/namespaces/shop/pods/${name}`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${sim.adminToken}` },
  });
  expect(res.status).toBe(200);
}

const endsWell = (i: Incident) => {
  expect(["resolved", "escalated"]).toContain(i.status);
  if (i.status === "escalated") expect(JSON.stringify(i.timeline)).toMatch(/reason|escalat/i);
  // No action sent twice: each idempotency key once, and one rollback/drain at most.
  const keys = i.actions.map((a) => a.key);
  expect(new Set(keys).size).toBe(keys.length);
};

describe("Chaos during a remediation", () => {
  it("a pod killed and CPU steal injected while a rollback rolls out → the deployment ends no worse off", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    h.advance(30_000);
    const before = {
      available: available(sim, "checkout"),
      generation: look(sim).deployment("checkout").metadata.generation!,
    };
    let latency: string | undefined;
    const { incident, struck } = await alertWithChaos(
      { namespace: "shop", deployment: "checkout" },
      // The rollback has been written: the deployment's template changed back.
      (s) => (look(s).deployment("checkout").metadata.generation ?? 0) > before.generation,
      async (s) => {
        const victim = readyPods(s, "checkout")[0] ?? look(s).pods("checkout")[0]!;
        latency = s.inject({ family: "latency_p95", target: "shop/checkout" }).id;
        await killPod(s, victim.metadata.name);
      },
    );

    expect(struck).toBe(true);
    expect(latency).toBeDefined();
    endsWell(incident);
    expect(incident.actions.filter((a) => a.action === "rollback_deployment")).toHaveLength(1);
    h.advance(60_000);
    const d = look(sim).deployment("checkout");
    expect(available(sim, "checkout")).toBeGreaterThanOrEqual(before.available);
    expect(available(sim, "checkout")).toBe(d.spec.replicas);
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("a pod killed elsewhere and CPU steal injected while a node is drained → one drain, web and checkout end at full strength", async () => {
    const sim = h.sim();
    const node = look(sim).pods("web")[0]!.spec.nodeName!;
    sim.inject({ family: "disk_pressure", target: node });
    h.advance(10_000);
    const before = { web: available(sim, "web"), checkout: available(sim, "checkout") };
    const { incident, struck } = await alertWithChaos(
      { node },
      (s) => {
        return (
          look(s)
            .pods("web")
            .some((p) => p.metadata.deletionTimestamp) ||
          readyPods(s, "web").every((p) => p.spec.nodeName !== node)
        );
      },
      async (s) => {
        const elsewhere = readyPods(s, "web").find((p) => p.spec.nodeName !== node);
        s.inject({ family: "latency_p95", target: "shop/web" });
        if (elsewhere) await killPod(s, elsewhere.metadata.name);
      },
    );

    expect(struck).toBe(true);
    endsWell(incident);
    expect(incident.actions.filter((a) => a.action === "cordon_drain_node")).toHaveLength(1);
    h.advance(60_000);
    expect(available(sim, "web")).toBeGreaterThanOrEqual(before.web);
    expect(available(sim, "checkout")).toBeGreaterThanOrEqual(before.checkout);
    expect(
      look(sim)
        .pods("web")
        .every((p) => p.spec.nodeName !== node),
    ).toBe(true);
  });
});
