import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { KubeSim } from "@aegisops/kube-sim";
import { createKubeClients } from "../../../tools/kubernetes/client.ts";
import { mergePatch } from "../../../tools/kubernetes/kubeErrors.ts";
import { startFakeArgocd, type FakeArgocd } from "../../helpers/fakeArgocd.ts";
import { look, startKubeHarness, type KubeHarness } from "./harness.ts";

const TOKEN = "argocd-e2e-token";
let h: KubeHarness;
let argocd: FakeArgocd;

beforeAll(async () => {
  argocd = await startFakeArgocd({ token: TOKEN, sim: () => h.sim() });
  h = await startKubeHarness(undefined, { env: { ARGOCD_SERVER: argocd.url, ARGOCD_TOKEN: TOKEN } });
});
afterAll(async () => {
  await h?.stop();
  await argocd?.stop();
});
beforeEach(async () => {
  await h.freshCluster();
  argocd.calls.length = 0;
  argocd.token = TOKEN;
});

/** Label checkout as Argo CD's (instance label), deploy the good release through it, then a bad one. */
async function argoManagedBadRelease(sim: KubeSim, app: string) {
  const kube = createKubeClients({ kind: "string", yaml: sim.kubeconfig() });
  await kube.apps.patchNamespacedDeployment(
    {
      name: "checkout",
      namespace: "shop",
      body: { metadata: { labels: { "argocd.argoproj.io/instance": app } } },
    },
    mergePatch,
  );
  argocd.manage("checkout", "shop", "checkout");
  const f = sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
  argocd.synced("checkout");
  h.advance(30_000);
  return f;
}
const image = (sim: KubeSim) => look(sim).deployment("checkout").spec.template.spec.containers[0]?.image;

describe("rollback_deployment through Argo CD", () => {
  it("an Argo-managed deployment's bad release → POST .../rollback to the previous history id, verified", async () => {
    const sim = h.sim();
    const good = image(sim);
    const f = await argoManagedBadRelease(sim, "checkout");
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(incident.decision?.action).toBe("rollback_deployment");
    expect(incident.status).toBe("resolved");
    expect(incident.actions[0]?.result).toMatchObject({
      via: "argocd",
      application: "checkout",
      fromId: 1,
      toId: 0,
    });
    const posts = argocd.calls.filter((c) => c.method === "POST");
    expect(posts).toEqual([
      {
        method: "POST",
        path: "/api/v1/applications/checkout/rollback",
        authorization: `Bearer ${TOKEN}`,
        body: { name: "checkout", id: 0 },
      },
    ]);
    expect(image(sim)).toBe(good);
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("Argo CD refuses the token (401) → escalated with the reason, no native rollback behind its back", async () => {
    const sim = h.sim();
    const f = await argoManagedBadRelease(sim, "checkout");
    const bad = image(sim);
    const generation = look(sim).deployment("checkout").metadata.generation;
    argocd.token = "rotated-elsewhere";
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(incident.decision?.action).toBe("rollback_deployment");
    expect(incident.status).toBe("escalated");
    expect(incident.statusReason).toMatch(/Argo CD.*token was refused/);
    expect(incident.statusReason).toMatch(/not rolling back natively/);
    expect(argocd.calls.filter((c) => c.method === "POST")).toHaveLength(0);
    expect(image(sim)).toBe(bad);
    expect(look(sim).deployment("checkout").metadata.generation).toBe(generation);
    expect(look(sim).fault(f.id).active).toBe(true);
  });

  it("the label names an application Argo CD does not know (404) → escalated, nothing changed", async () => {
    const sim = h.sim();
    const f = await argoManagedBadRelease(sim, "checkout-prod");
    const bad = image(sim);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(incident.status).toBe("escalated");
    expect(incident.statusReason).toMatch(/checkout-prod.*no such application/);
    expect(image(sim)).toBe(bad);
    expect(look(sim).fault(f.id).active).toBe(true);
  });

  it("a deployment Argo CD does not manage → native rollout undo, even with Argo CD configured", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    h.advance(30_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });

    expect(incident.status).toBe("resolved");
    expect(incident.actions[0]?.result).toMatchObject({ fromRevision: 2, toRevision: 1 });
    expect(argocd.calls).toHaveLength(0);
    expect(look(sim).fault(f.id).active).toBe(false);
  });
});
