import { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { resolvePodLabels, startKubeEnv, type KubeEnv } from "../../evals/harness/kubeEnv.ts";
import { scenarioPolicy } from "../../evals/harness/runScenario.ts";
import { parseScenario } from "../../evals/harness/scenario.ts";

// Two clusters (regions) in one scenario: each its own simulator, one kubeconfig, one timeline. Read with
// @kubernetes/client-node as AegisOps reads them (the harness serves plain HTTP, over which kubectl sends no token).
let env: KubeEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

const scenario = (environment: string, policy = "") =>
  parseScenario(
    `id: two-regions
description: d
family: control
environment:
${environment}
notifications:
  - alerts: [{ labels: { alertname: A, namespace: shop, deployment: web, cluster: eu-west, pod: $pod(shop/web) } }]
expect: { actions: [none] }
${policy}`,
    "test.yaml",
  );

const TWO = `  kind: kubernetes
  region: us-east
  setup:
    - patch: { kind: Deployment, namespace: shop, name: web, body: { metadata: { labels: { served-from: east } } } }
  developMs: 20000
  regions:
    eu-west:
      setup:
        - patch: { kind: Deployment, namespace: shop, name: web, body: { metadata: { labels: { served-from: west } } } }
      changes:
        - apply: |
            apiVersion: v1
            kind: ConfigMap
            metadata: { name: traffic-weights, namespace: shop }
            data: { us-east: "100", eu-west: "0" }
        - node: { name: sim-node-1, kubeletDown: true }`;

describe("a scenario with regions", () => {
  it("runs each region's steps in its own cluster; a client reaches both through one kubeconfig", async () => {
    const s = scenario(TWO);
    env = await startKubeEnv(s.environment as never, s);
    expect([...env.sims.keys()]).toEqual(["us-east", "eu-west"]);
    // What AegisOps gets: one kubeconfig, a context per region with its ServiceAccount's token, us-east current.
    const kc = new KubeConfig();
    kc.loadFromString(env.kubeconfig);
    expect(kc.getCurrentContext()).toBe("us-east");
    const client = (context: string) => {
      const c = new KubeConfig();
      c.loadFromString(env!.kubeconfig);
      c.setCurrentContext(context);
      return { apps: c.makeApiClient(AppsV1Api), core: c.makeApiClient(CoreV1Api) };
    };
    const east = client("us-east");
    const west = client("eu-west");
    expect(
      (await east.apps.readNamespacedDeployment({ name: "web", namespace: "shop" })).metadata?.labels?.[
        "served-from"
      ],
    ).toBe("east");
    expect(
      (await west.apps.readNamespacedDeployment({ name: "web", namespace: "shop" })).metadata?.labels?.[
        "served-from"
      ],
    ).toBe("west");
    expect(
      (await west.core.readNamespacedConfigMap({ name: "traffic-weights", namespace: "shop" })).data,
    ).toEqual({ "us-east": "100", "eu-west": "0" });
    await expect(
      east.core.readNamespacedConfigMap({ name: "traffic-weights", namespace: "shop" }),
    ).rejects.toMatchObject({ code: 404 });
    const ready = async (c: typeof east) =>
      (await c.core.readNode({ name: "sim-node-1" })).status?.conditions?.find((x) => x.type === "Ready")
        ?.status;
    expect(await ready(west)).toBe("Unknown");
    expect(await ready(east)).toBe("True");
    // One timeline: the clusters' clocks agree, and move together.
    const [a, b] = [...env.sims.values()].map((x) => x.clock.now());
    expect(Math.abs(a! - b!)).toBeLessThan(1000);
    env.advance(60_000);
    const [c, d] = [...env.sims.values()].map((x) => x.clock.now());
    expect(c! - a!).toBe(60_000);
    expect(d! - b!).toBe(60_000);
  });

  it("an alert's $pod() is looked up in the cluster its `cluster` label names", async () => {
    const s = scenario(TWO);
    env = await startKubeEnv(s.environment as never, s);
    const resolved = resolvePodLabels(s.notifications[0]!, env);
    const pod = "alerts" in resolved ? resolved.alerts[0]!.labels.pod! : "";
    const west = env.sims.get("eu-west")!;
    const east = env.sims.get("us-east")!;
    const exists = async (sim: typeof west) =>
      (
        await fetch(`${sim.url}/api/v1/namespaces/shop/pods/${pod}`, {
          headers: { authorization: `Bearer ${sim.adminToken}` },
        })
      ).status;
    expect(await exists(west)).toBe(200);
    expect(await exists(east)).toBe(404);
  });

  it("maps every region to its kube context in the policy, unless the scenario's policy does", () => {
    const clusters = (p: unknown) => (p as { clusters?: Record<string, { context: string }> }).clusters;
    expect(clusters(scenarioPolicy(scenario(TWO)))).toMatchObject({
      "us-east": { context: "us-east" },
      "eu-west": { context: "eu-west" },
    });
    const own = scenarioPolicy(
      scenario(
        TWO,
        "policy:\n  clusters:\n    eu-west: { context: eu-west }\n    us-east: { context: eu-west }",
      ),
    );
    expect(clusters(own)?.["us-east"]?.context).toBe("eu-west");
  });

  it("refuses regions without a name for the main cluster, or the main cluster's name among them", () => {
    expect(() => scenario(TWO.replace("  region: us-east\n", ""))).toThrow(/region/);
    expect(() => scenario(TWO.replace("region: us-east", "region: eu-west"))).toThrow(/named twice/);
    expect(() => scenario(TWO.replace("    eu-west:", "    EU_west:"))).toThrow(/EU_west/);
  });
});
