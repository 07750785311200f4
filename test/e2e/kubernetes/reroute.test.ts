import { describe, expect, it } from "vitest";
import { createKubernetesPlatform } from "../../../agent/platforms/kubernetes/kubernetesPlatform.ts";
import { policySchema } from "../../../agent/policy/schema.ts";
import type { ActionRecord, Decision, Target } from "../../../core/types.ts";
import { type KubeSim, resourceOf } from "@aegisops/kube-sim";
import { createKubeClients } from "../../../tools/kubernetes/client.ts";
import { mergePatch } from "../../../tools/kubernetes/kubeErrors.ts";
import { autoHighPolicy, look, useKubeHarness, signalsOf } from "./harness.ts";

/** Two versions of one app behind one Service: v1 (3 pods) and a v2 canary (1 pod). */
const STOREFRONT = ["v1", "v2"]
  .map(
    (v) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: storefront-${v}, namespace: shop, labels: { app: storefront, version: ${v} } }
spec:
  replicas: ${v === "v1" ? 3 : 1}
  selector: { matchLabels: { app: storefront, version: ${v} } }
  template:
    metadata: { labels: { app: storefront, version: ${v} } }
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/storefront:${v === "v1" ? "1.8.0" : "2.0.0"}
          ports: [{ containerPort: 8080 }]
`,
  )
  .concat(
    `
apiVersion: v1
kind: Service
metadata: { name: storefront, namespace: shop }
spec:
  selector: { app: storefront }
  ports: [{ port: 80, targetPort: 8080 }]
`,
  )
  .join("\n---\n");

const policy = () => {
  const base = autoHighPolicy();
  return policySchema.parse({
    ...base,
    services: { ...base.services, storefront: { traffic: { service: "storefront" } } },
  });
};
const h = useKubeHarness(policy(), { extraManifests: STOREFRONT });

const selector = (sim: KubeSim) =>
  (
    sim.ctx.store.get(resourceOf("Service"), "shop", "storefront") as unknown as {
      spec: { selector: Record<string, string> };
    }
  ).spec.selector;

/** The canary fails and reroute_traffic is sent straight through the platform (no agent): what its undo sees. */
async function rerouteByHand() {
  const sim = h.sim();
  sim.inject({ family: "http_5xx", variant: "bad_version", target: "shop/storefront-v2" });
  h.advance(40_000);
  const kube = createKubeClients({ kind: "string", yaml: sim.kubeconfig() });
  const platform = createKubernetesPlatform({ kube, policy: policy() });
  const target = {
    kind: "k8s_workload",
    key: "shop/deployment/storefront-v2",
    namespace: "shop",
    workload: "deployment",
    name: "storefront-v2",
  } as Target;
  const decision = { action: "reroute_traffic", params: {} } as unknown as Decision;
  const result = await platform.execute(decision, target);
  const record = { action: "reroute_traffic", params: {}, result } as unknown as ActionRecord;
  return { sim, kube, platform, target, record };
}

describe("reroute_traffic", () => {
  it("only the canary version fails behind the Service → reroute_traffic pins it to the healthy version, verified", async () => {
    const sim = h.sim();
    const f = sim.inject({ family: "http_5xx", variant: "bad_version", target: "shop/storefront-v2" });
    h.advance(40_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "storefront-v2" });

    expect(signalsOf(incident)).toContain("version_unhealthy");
    expect(incident.decision?.action).toBe("reroute_traffic");
    expect(incident.status).toBe("resolved");
    expect(incident.actions[0]?.result).toMatchObject({
      service: "storefront",
      to: "v1",
      previousSelector: { app: "storefront" },
    });
    expect(selector(sim)).toEqual({ app: "storefront", version: "v1" });
    expect(look(sim).fault(f.id).active).toBe(false);
  });

  it("look-alike: every version fails → no reroute (nothing healthy to send traffic to), selector unchanged", async () => {
    const sim = h.sim();
    sim.inject({ family: "http_5xx", variant: "bad_version", target: "shop/storefront-v2" });
    sim.inject({ family: "http_5xx", variant: "bad_version", target: "shop/storefront-v1" });
    h.advance(40_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "storefront-v2" });

    expect(signalsOf(incident)).toContain("http_errors");
    expect(signalsOf(incident)).not.toContain("version_unhealthy");
    expect(incident.decision?.action).not.toBe("reroute_traffic");
    expect(selector(sim)).toEqual({ app: "storefront" });
  });

  it("the undo puts the Service's previous selector back whole", async () => {
    const { sim, platform, target, record } = await rerouteByHand();
    expect(selector(sim)).toEqual({ app: "storefront", version: "v1" });
    const undo = await platform.rollback(record, target);

    expect(undo.rolledBack).toBe(true);
    expect(selector(sim)).toEqual({ app: "storefront" });
  });

  it("a person's undo is held while someone re-pointed the Service since: the check names both selectors", async () => {
    const { kube, platform, target, record } = await rerouteByHand();
    // As the reroute left it: nothing in the way.
    expect(await platform.undoConflict!(record, target)).toBeUndefined();

    // The canary was fixed and someone pinned the Service to it by hand.
    await kube.core.patchNamespacedService(
      { name: "storefront", namespace: "shop", body: { spec: { selector: { version: "v2" } } } },
      mergePatch,
    );
    expect(await platform.undoConflict!(record, target)).toBe(
      'Service shop/storefront now selects {"app":"storefront","version":"v2"}, not ' +
        '{"app":"storefront","version":"v1"} as reroute_traffic left it: it was changed since, and the undo ' +
        'would overwrite that with {"app":"storefront"}',
    );
  });
});
