import { describe, expect, it } from "vitest";
import { clusterManifests, deployment, manifests, service } from "../../helpers/kubeManifests.ts";
import { useVirtualSim } from "./helpers.ts";
import { metric } from "./world.ts";

// Two worker nodes (one tainted for GPUs) and a small app, driven with the real kubectl on a virtual clock.
const API_CONTAINER = {
  name: "app",
  image: "ghcr.io/acme/api:1.0.0",
  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
};
const WEB_CONTAINER = {
  name: "app",
  image: "ghcr.io/acme/web:2.0.0",
  resources: { requests: { cpu: "100m", memory: "128Mi" } },
};
const RPS = { "kube-sim.aegisops.io/rps": "20" };
const FIXTURE = manifests(
  `
apiVersion: kube-sim.aegisops.io/v1
kind: ImageRegistry
images:
  ghcr.io/acme/web:2.0.0: { dependsOn: [{ service: api }] }
---
apiVersion: v1
kind: Node
metadata: { name: node-a, labels: { kubernetes.io/hostname: node-a, pool: general } }
---
apiVersion: v1
kind: Node
metadata: { name: node-b, labels: { kubernetes.io/hostname: node-b, pool: gpu } }
spec:
  taints: [{ key: dedicated, value: gpu, effect: NoSchedule }]`,
  clusterManifests(0, ["demo"]),
  deployment("api", "demo", [API_CONTAINER], {
    annotations: RPS,
    pod: { tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }] },
  }),
  service("api", "demo"),
  deployment("web", "demo", [WEB_CONTAINER], { annotations: RPS }),
);

const { start, run, k } = useVirtualSim(FIXTURE, { warmUpMs: 10_000 });
const pending = async () =>
  (await k("-n", "demo", "get", "pods", "--field-selector=status.phase=Pending", "-o", "name")).trim();
const patch = (name: string, spec: Record<string, unknown>) =>
  k("-n", "demo", "patch", "deployment", name, "--type", "merge", "-p", JSON.stringify({ spec }));

describe("services route through Endpoints", () => {
  it("Endpoints and EndpointSlices list the ready pods' IPs and the targetPort; a wrong selector or zero replicas leave none", async () => {
    const s = await start();
    const endpoints = async () => (await k("-n", "demo", "get", "endpoints", "api", "--no-headers")).trim();
    const ip = (
      await k("-n", "demo", "get", "pods", "-l", "app=api", "-o", "jsonpath={.items[0].status.podIP}")
    ).trim();
    expect(await endpoints()).toMatch(new RegExp(`^api\\s+${ip.replace(/\./g, "\\.")}:8080\\s`));
    const slices = async () =>
      (await k("-n", "demo", "get", "endpointslices", "-l", "kubernetes.io/service-name=api")).trim();
    expect((await slices()).split("\n")[0]).toMatch(/^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE/);
    expect(await slices()).toMatch(
      new RegExp(`api-\\w{5}\\s+IPv4\\s+8080\\s+${ip.replace(/\./g, "\\.")}\\s`),
    );
    expect(
      await k(
        "-n",
        "demo",
        "get",
        "endpointslices",
        "-l",
        "kubernetes.io/service-name=api",
        "-o",
        "jsonpath={.items[0].endpoints[0].conditions.ready} {.items[0].endpoints[0].targetRef.kind}",
      ),
    ).toBe("true Pod");
    const select = (app: string) =>
      k(
        "-n",
        "demo",
        "patch",
        "service",
        "api",
        "--type",
        "merge",
        "-p",
        JSON.stringify({ spec: { selector: { app } } }),
      );
    await select("apii");
    s.advance(1_000);
    expect(await endpoints()).toMatch(/^api\s+<none>\s/);
    expect(await slices()).toMatch(/api-\w{5}\s+IPv4\s+<unset>\s+<none>\s/);
    await select("api");
    await k("-n", "demo", "scale", "deployment/api", "--replicas=0");
    s.advance(5_000);
    expect(await endpoints()).toMatch(/^api\s+<none>\s/);
  });
});

describe("scheduling", () => {
  it("a nodeSelector no node matches stalls the rollout with the scheduler's message; undo clears it", async () => {
    const s = await start();
    await patch("api", {
      template: { spec: { nodeSelector: { "kubernetes.io/hostname": "invalid-node" } } },
    });
    s.advance(10_000);
    const pod = await pending();
    expect(pod).not.toBe("");
    expect(await k("-n", "demo", "describe", pod)).toContain(
      "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
    );
    const status = await run(["-n", "demo", "rollout", "status", "deployment/api", "--timeout=1s"]);
    expect(status.code).not.toBe(0);
    expect(status.stdout).toContain(
      'Waiting for deployment "api" rollout to finish: 1 old replicas are pending termination',
    );
    await k("-n", "demo", "rollout", "undo", "deployment/api");
    s.advance(10_000);
    expect(await pending()).toBe("");
  });

  it("resources, taints and anti-affinity each give their own reason, counted per node", async () => {
    const s = await start();
    await patch("web", {
      template: {
        spec: {
          containers: [
            { name: "app", image: "ghcr.io/acme/web:2.0.0", resources: { requests: { memory: "64Gi" } } },
          ],
        },
      },
    });
    s.advance(10_000);
    expect(await k("-n", "demo", "describe", await pending())).toContain(
      "0/2 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
    );
    await k("-n", "demo", "rollout", "undo", "deployment/web");
    s.advance(10_000);
    expect(await pending()).toBe("");
    // Three replicas that must not share a host, on two nodes that tolerate them: one stays Pending.
    await patch("api", {
      replicas: 3,
      template: {
        spec: {
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                { labelSelector: { matchLabels: { app: "api" } }, topologyKey: "kubernetes.io/hostname" },
              ],
            },
          },
        },
      },
    });
    s.advance(30_000);
    const stuck = (await pending()).split("\n").filter(Boolean);
    expect(stuck.length).toBeGreaterThan(0);
    expect(await k("-n", "demo", "describe", stuck[0]!)).toMatch(
      /node\(s\) didn't match pod anti-affinity rules/,
    );
  });

  it("a ResourceQuota refuses new pods: FailedCreate on the ReplicaSet, with the API server's wording", async () => {
    const s = await start();
    const quota = await run(
      ["apply", "-f", "-"],
      `apiVersion: v1
kind: ResourceQuota
metadata: { name: demo-memory, namespace: demo }
spec: { hard: { requests.memory: 300Mi } }
`,
    );
    expect(quota.code, quota.stderr).toBe(0);
    await k("-n", "demo", "scale", "deployment/api", "--replicas=3");
    s.advance(10_000);
    const rs = (await k("-n", "demo", "get", "rs", "-l", "app=api", "-o", "name")).trim().split("\n")[0]!;
    expect(await k("-n", "demo", "describe", rs)).toMatch(
      /Error creating: pods "api-[a-z0-9-]+" is forbidden: exceeded quota: demo-memory, requested: requests.memory=128Mi, used: requests.memory=256Mi, limited: requests.memory=300Mi/,
    );
    expect(
      await k("-n", "demo", "get", "quota", "demo-memory", "-o", "jsonpath={.status.used.requests\\.memory}"),
    ).toBe("256Mi");
  });

  it("a NetworkPolicy that allows nothing into the api makes its callers fail; deleting it restores them", async () => {
    const s = await start();
    const errors = (ms: number) => {
      const before = metric(s, "http_requests_total", { service: "web", code: "503" });
      s.advance(ms);
      return metric(s, "http_requests_total", { service: "web", code: "503" }) - before;
    };
    expect(errors(20_000)).toBe(0);
    const r = await run(
      ["apply", "-f", "-"],
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: api-deny, namespace: demo }
spec:
  podSelector: { matchLabels: { app: api } }
  policyTypes: [Ingress]
`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(errors(20_000)).toBeGreaterThan(100);
    const web = (await k("-n", "demo", "get", "pods", "-l", "app=web", "-o", "name")).trim();
    expect(await k("-n", "demo", "logs", web)).toMatch(/cannot reach api: dial tcp [\d.]+:80: i\/o timeout/);
    await k("-n", "demo", "delete", "networkpolicy", "api-deny");
    s.advance(5_000);
    expect(errors(20_000)).toBe(0);
  });
});
