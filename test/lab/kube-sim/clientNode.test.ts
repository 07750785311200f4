import {
  ApiException,
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  PolicyV1Api,
  Watch,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeSim } from "@aegisops/kube-sim";
import { settled, startFastSim, waitFor } from "./helpers.ts";

let sim: KubeSim;
let core: CoreV1Api;
let apps: AppsV1Api;
let autoscaling: AutoscalingV2Api;
let policy: PolicyV1Api;
let networking: NetworkingV1Api;
const ns = "shop";
const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const strategic = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);
let kc: KubeConfig;

beforeAll(async () => {
  sim = await startFastSim();
  await settled(sim);
  kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig());
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  autoscaling = kc.makeApiClient(AutoscalingV2Api);
  policy = kc.makeApiClient(PolicyV1Api);
  networking = kc.makeApiClient(NetworkingV1Api);
});
afterAll(async () => {
  await sim.stop();
});

const webPods = async () => (await core.listNamespacedPod({ namespace: ns, labelSelector: "app=web" })).items;
const readyCount = async () =>
  (await webPods()).filter((p) =>
    p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
  ).length;

describe("@kubernetes/client-node against the simulator", () => {
  it("lists, reads and deletes pods; a deleted pod comes back", async () => {
    const pods = await webPods();
    expect(pods).toHaveLength(3);
    const one = await core.readNamespacedPod({ name: pods[0]!.metadata!.name!, namespace: ns });
    expect(one.status?.phase).toBe("Running");
    expect(one.metadata?.ownerReferences?.[0]?.kind).toBe("ReplicaSet");
    const byNode = await core.listPodForAllNamespaces({
      fieldSelector: `spec.nodeName=${one.spec!.nodeName}`,
    });
    expect(byNode.items.every((p) => p.spec?.nodeName === one.spec!.nodeName)).toBe(true);
    await core.deleteNamespacedPod({ name: one.metadata!.name!, namespace: ns });
    await waitFor(async () => {
      const now = await webPods();
      return (
        now.length === 3 &&
        !now.some((p) => p.metadata?.name === one.metadata!.name) &&
        (await readyCount()) === 3
      );
    }, "a replacement pod");
  });

  it("reads a pod's log, and its previous log after a restart", async () => {
    const pod = (await webPods())[0]!;
    const log = await core.readNamespacedPodLog({
      name: pod.metadata!.name!,
      namespace: ns,
      container: "app",
      tailLines: 10,
    });
    expect(log).toContain("INFO starting web (image ghcr.io/acme/web:1.4.2)");
    const prev = await core
      .readNamespacedPodLog({ name: pod.metadata!.name!, namespace: ns, previous: true })
      .catch((e: unknown) => e);
    expect(prev).toBeInstanceOf(ApiException);
    expect((prev as ApiException<string>).code).toBe(400);
    expect(JSON.parse((prev as ApiException<string>).body).message).toContain(
      'previous terminated container "app"',
    );
  });

  it("creates evictions, refused with 429 when a PDB would break", async () => {
    const pdbs = await policy.listNamespacedPodDisruptionBudget({ namespace: ns });
    expect(pdbs.items.map((p) => p.metadata?.name).sort()).toEqual(["checkout", "web"]);
    expect(pdbs.items.find((p) => p.metadata?.name === "web")?.status?.disruptionsAllowed).toBe(1);
    const [a, b] = await webPods();
    await core.createNamespacedPodEviction({
      name: a!.metadata!.name!,
      namespace: ns,
      body: {
        apiVersion: "policy/v1",
        kind: "Eviction",
        metadata: { name: a!.metadata!.name!, namespace: ns },
      },
    });
    const refused = await core
      .createNamespacedPodEviction({
        name: b!.metadata!.name!,
        namespace: ns,
        body: { metadata: { name: b!.metadata!.name!, namespace: ns } },
      })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiException);
    expect((refused as ApiException<string>).code).toBe(429);
    expect(JSON.parse((refused as ApiException<string>).body)).toMatchObject({
      kind: "Status",
      reason: "TooManyRequests",
    });
    await waitFor(async () => (await readyCount()) === 3, "web back to 3 ready pods");
  });

  it("reads and merge-patches deployments, and patches the scale subresource", async () => {
    const d = await apps.readNamespacedDeployment({ name: "checkout", namespace: ns });
    expect(d.status?.availableReplicas).toBe(2);
    const patched = await apps.patchNamespacedDeployment(
      {
        name: "checkout",
        namespace: ns,
        body: {
          spec: {
            template: {
              metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": new Date().toISOString() } },
            },
          },
        },
      },
      merge,
    );
    expect(patched.metadata?.generation).toBe((d.metadata?.generation ?? 0) + 1);
    const scale = await apps.patchNamespacedDeploymentScale(
      { name: "checkout", namespace: ns, body: { spec: { replicas: 3 } } },
      merge,
    );
    expect(scale.spec?.replicas).toBe(3);
    const read = await apps.readNamespacedDeploymentScale({ name: "checkout", namespace: ns });
    expect(read.status?.selector).toBe("app=checkout");
    await waitFor(async () => {
      const cur = await apps.readNamespacedDeployment({ name: "checkout", namespace: ns });
      return (
        cur.status?.updatedReplicas === 3 && cur.status?.availableReplicas === 3 && cur.status?.replicas === 3
      );
    }, "checkout rolled out with 3 replicas");
    // client-node's default patch type is JSON patch.
    const jp = await apps.patchNamespacedDeployment({
      name: "checkout",
      namespace: ns,
      body: [{ op: "replace", path: "/spec/replicas", value: 2 }],
    });
    expect(jp.spec?.replicas).toBe(2);
  });

  it("lists replicasets with revision annotations and owner references", async () => {
    const d = await apps.readNamespacedDeployment({ name: "checkout", namespace: ns });
    const rss = await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: "app=checkout" });
    expect(rss.items).toHaveLength(2);
    for (const rs of rss.items) {
      expect(rs.metadata?.ownerReferences?.[0]).toMatchObject({
        kind: "Deployment",
        uid: d.metadata?.uid,
        controller: true,
      });
      expect(rs.metadata?.labels?.["pod-template-hash"]).toBeTruthy();
    }
    const revs = rss.items
      .map((r) => Number(r.metadata?.annotations?.["deployment.kubernetes.io/revision"]))
      .sort();
    expect(revs).toEqual([1, 2]);
    expect(d.metadata?.annotations?.["deployment.kubernetes.io/revision"]).toBe("2");
  });

  it("reads and patches nodes (cordon) and lists events", async () => {
    const node = await core.readNode({ name: "sim-node-2" });
    expect(node.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    const cordoned = await core.patchNode(
      { name: "sim-node-2", body: { spec: { unschedulable: true } } },
      strategic,
    );
    expect(cordoned.spec?.unschedulable).toBe(true);
    await waitFor(
      async () =>
        (await core.readNode({ name: "sim-node-2" })).spec?.taints?.some(
          (t) => t.key === "node.kubernetes.io/unschedulable",
        ),
      "unschedulable taint",
    );
    const uncordoned = await core.patchNode(
      { name: "sim-node-2", body: { spec: { unschedulable: null } } },
      merge,
    );
    expect(uncordoned.spec?.unschedulable).toBeUndefined();
    const events = await core.listNamespacedEvent({ namespace: ns });
    const reasons = new Set(events.items.map((e) => e.reason));
    for (const r of ["Scheduled", "Started", "SuccessfulCreate", "ScalingReplicaSet"])
      expect(reasons).toContain(r);
    const pod = (await webPods())[0]!;
    const forPod = await core.listNamespacedEvent({
      namespace: ns,
      fieldSelector: `involvedObject.name=${pod.metadata!.name}`,
    });
    expect(forPod.items.length).toBeGreaterThan(0);
    expect(forPod.items.every((e) => e.involvedObject.name === pod.metadata!.name)).toBe(true);
  });

  it("reads and patches HPAs", async () => {
    const hpa = await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: "web", namespace: ns });
    expect(hpa.spec?.maxReplicas).toBe(4);
    const raised = await autoscaling.patchNamespacedHorizontalPodAutoscaler(
      { name: "web", namespace: ns, body: { spec: { maxReplicas: 8 } } },
      merge,
    );
    expect(raised.spec?.maxReplicas).toBe(8);
    await waitFor(
      async () =>
        (await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: "web", namespace: ns })).status
          ?.currentMetrics?.length,
      "HPA metrics",
    );
  });

  it("patches services, configmaps and ingresses", async () => {
    const svc = await core.patchNamespacedService(
      {
        name: "orders-db",
        namespace: ns,
        body: { spec: { selector: { app: "orders-db", role: "secondary" } } },
      },
      merge,
    );
    expect(svc.spec?.selector).toEqual({ app: "orders-db", role: "secondary" });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: "flags" }, data: { a: "1" } },
    });
    const cm = await core.patchNamespacedConfigMap(
      { name: "flags", namespace: ns, body: { data: { b: "2" } } },
      merge,
    );
    expect(cm.data).toEqual({ a: "1", b: "2" });
    const ing = await networking.patchNamespacedIngress(
      {
        name: "web",
        namespace: ns,
        body: { metadata: { annotations: { "nginx.ingress.kubernetes.io/limit-rps": "20" } } },
      },
      merge,
    );
    expect(ing.metadata?.annotations?.["nginx.ingress.kubernetes.io/limit-rps"]).toBe("20");
  });

  it("reports errors as ApiException with a Status body", async () => {
    const err = await apps
      .readNamespacedDeployment({ name: "missing", namespace: ns })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<string>).code).toBe(404);
    expect(JSON.parse((err as ApiException<string>).body)).toMatchObject({
      reason: "NotFound",
      message: 'deployments.apps "missing" not found',
    });
  });

  it("watches deployments", async () => {
    const seen: string[] = [];
    const req = await new Watch(kc).watch(
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      { fieldSelector: "metadata.name=checkout" },
      (type, obj: { spec?: { replicas?: number } }) => {
        seen.push(`${type}:${obj.spec?.replicas}`);
      },
      () => undefined,
    );
    await apps.patchNamespacedDeploymentScale(
      { name: "checkout", namespace: ns, body: { spec: { replicas: 1 } } },
      merge,
    );
    await waitFor(() => seen.includes("MODIFIED:1"), "a MODIFIED event with replicas 1");
    req.abort();
  });

  it("reads the previous log of a crash-looping container", async () => {
    sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    const crashed = await waitFor(async () => {
      const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: "app=checkout" })).items;
      return pods.find((p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    }, "a checkout container to restart");
    const prev = await core.readNamespacedPodLog({
      name: crashed.metadata!.name!,
      namespace: ns,
      container: "app",
      previous: true,
    });
    expect(prev).toContain("panic: runtime error: invalid memory address or nil pointer dereference");
    expect(crashed.status?.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({
      exitCode: 2,
      reason: "Error",
    });
  });
});
