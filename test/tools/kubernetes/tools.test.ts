import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type KubeSim, startKubeSim, resourceOf, type Pod } from "@aegisops/kube-sim";
import { createKubeClients, type KubeClients } from "../../../tools/kubernetes/client.ts";
import { createAddKafkaConsumersTool } from "../../../tools/kubernetes/addKafkaConsumers.ts";
import { createFailoverDatabaseTool } from "../../../tools/kubernetes/failoverDatabase.ts";
import { createRateLimitTrafficTool } from "../../../tools/kubernetes/rateLimitTraffic.ts";
import { createRecreatePodElsewhereTool } from "../../../tools/kubernetes/recreatePodElsewhere.ts";
import { createCordonDrainNodeTool } from "../../../tools/kubernetes/cordonDrainNode.ts";
import { createListPodsTool } from "../../../tools/kubernetes/listPods.ts";
import { createPodLogsTool } from "../../../tools/kubernetes/podLogs.ts";
import { createRaiseHpaLimitsTool } from "../../../tools/kubernetes/raiseHpaLimits.ts";
import { createRestartPodTool } from "../../../tools/kubernetes/restartPod.ts";
import { createRollbackDeploymentTool } from "../../../tools/kubernetes/rollbackDeployment.ts";
import { mergePatch } from "../../../tools/kubernetes/kubeErrors.ts";
import { readRollout } from "../../../tools/kubernetes/rolloutHistory.ts";
import { createRolloutRestartTool } from "../../../tools/kubernetes/rolloutRestart.ts";

let sim: KubeSim;
let kube: KubeClients;
beforeEach(async () => {
  sim = await startKubeSim({ clock: "virtual" });
  sim.advance(5000);
  kube = createKubeClients({ kind: "string", yaml: sim.kubeconfig() });
});
afterEach(async () => {
  await sim?.stop();
});

const readyWeb = () =>
  (sim.ctx.store.list(resourceOf("Pod"), "shop") as Pod[]).filter(
    (p) =>
      p.metadata.labels?.app === "web" &&
      !p.metadata.deletionTimestamp &&
      p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
  ).length;

describe("Kubernetes tools against the simulator", () => {
  it("reads pods with container state and the previous log of a crashed container", async () => {
    sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    sim.advance(30_000);
    const { pods } = await createListPodsTool({ kube }).execute({
      namespace: "shop",
      labelSelector: "app=checkout",
    });
    const crashing = pods.find((p) => p.containers[0]?.waiting?.reason === "CrashLoopBackOff");
    expect(crashing?.containers[0]?.lastTerminated).toMatchObject({ exitCode: 2 });
    const logs = await createPodLogsTool({ kube }).execute({
      namespace: "shop",
      pod: crashing!.name,
      previous: true,
    });
    expect(logs.lines.join("\n")).toContain("panic: runtime error");
    const healthy = pods.find((p) => p.ready)!;
    expect(
      (await createPodLogsTool({ kube }).execute({ namespace: "shop", pod: healthy.name, previous: true }))
        .lines,
    ).toEqual([]);
  });

  it("drains a node through evictions without taking web below its PDB (minAvailable 2), DaemonSet pods stay", async () => {
    const node = (sim.ctx.store.list(resourceOf("Pod"), "shop") as Pod[]).find(
      (p) => p.metadata.labels?.app === "web",
    )!.spec.nodeName!;
    let lowest = readyWeb();
    const ticker = setInterval(() => {
      sim.advance(250);
      lowest = Math.min(lowest, readyWeb());
    }, 10);
    try {
      const result = await createCordonDrainNodeTool({ kube, retryMs: 50 }).execute({
        node,
        timeoutSeconds: 20,
      });
      expect(result.complete).toBe(true);
      expect(result.evicted.length).toBeGreaterThan(0);
      expect(result.skippedDaemonSet).toBe(1);
    } finally {
      clearInterval(ticker);
    }
    expect(lowest).toBeGreaterThanOrEqual(2);
    const left = (sim.ctx.store.list(resourceOf("Pod")) as Pod[]).filter(
      (p) => p.spec.nodeName === node && !p.metadata.deletionTimestamp,
    );
    expect(left.map((p) => p.metadata.ownerReferences?.[0]?.kind)).toEqual(["DaemonSet"]);
  });

  it("drains on the cluster's clock: the tool's own waits move simulated time, no real-time ticker", async () => {
    const node = (sim.ctx.store.list(resourceOf("Pod"), "shop") as Pod[]).find(
      (p) => p.metadata.labels?.app === "web",
    )!.spec.nodeName!;
    let lowest = readyWeb();
    let waited = 0;
    const clock = {
      now: () => sim.clock.now(),
      sleep: async (ms: number) => {
        waited += ms;
        sim.advance(ms);
        lowest = Math.min(lowest, readyWeb());
      },
    };
    const result = await createCordonDrainNodeTool({ kube, retryMs: 1000, clock }).execute({
      node,
      timeoutSeconds: 120,
    });
    expect(result.complete).toBe(true);
    // The PDB refused evictions at first: the drain waited, and only on the injected clock.
    expect(waited).toBeGreaterThan(0);
    expect(lowest).toBeGreaterThanOrEqual(2);
  });

  it("refuses to drain the last schedulable node", async () => {
    const drain = createCordonDrainNodeTool({ kube, retryMs: 10 });
    for (const n of ["sim-node-2", "sim-node-3"]) {
      await kube.core.patchNode({ name: n, body: { spec: { unschedulable: true } } }, mergePatch);
    }
    await expect(drain.execute({ node: "sim-node-1" })).rejects.toMatchObject({ code: "action_failed" });
    expect((await kube.core.readNode({ name: "sim-node-1" })).spec?.unschedulable).toBeFalsy();
  });

  it("rollback skips revisions that are only rollout restarts of the bad release", async () => {
    sim.inject({ family: "crashloop", target: "shop/web", variant: "bad_revision" });
    sim.advance(10_000);
    await createRolloutRestartTool({ kube }).execute({ namespace: "shop", deployment: "web" });
    sim.advance(10_000);
    const before = await readRollout(kube, "shop", "web");
    expect(before.revisions.map((r) => r.revision)).toEqual([3, 2, 1]);
    const result = await createRollbackDeploymentTool({ kube }).execute({
      namespace: "shop",
      deployment: "web",
    });
    expect(result).toMatchObject({ fromRevision: 3, toRevision: 1 });
    sim.advance(30_000);
    expect(readyWeb()).toBe(3);
  });

  it("a second rollback (a later alert about the same crash) does not roll forward onto the bad release", async () => {
    sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    sim.advance(20_000);
    const rollback = createRollbackDeploymentTool({ kube });
    expect(await rollback.execute({ namespace: "shop", deployment: "checkout" })).toMatchObject({
      fromRevision: 2,
      toRevision: 1,
    });
    sim.advance(20_000);
    await expect(rollback.execute({ namespace: "shop", deployment: "checkout" })).rejects.toMatchObject({
      code: "action_failed",
    });
  });

  it("refuses a rollback when there is no earlier release", async () => {
    await expect(
      createRollbackDeploymentTool({ kube }).execute({ namespace: "shop", deployment: "web" }),
    ).rejects.toMatchObject({ code: "action_failed" });
  });

  it("raises HPA limits, never lowers them", async () => {
    const raise = createRaiseHpaLimitsTool({ kube });
    expect(await raise.execute({ namespace: "shop", hpa: "web", maxReplicas: 8 })).toMatchObject({
      previousMax: 4,
      maxReplicas: 8,
    });
    await expect(raise.execute({ namespace: "shop", hpa: "web", maxReplicas: 2 })).rejects.toMatchObject({
      code: "action_failed",
    });
  });

  it("restart_pod deletes a controller-owned pod and reports a missing one as target_not_found", async () => {
    const restart = createRestartPodTool({ kube });
    const pod = (sim.ctx.store.list(resourceOf("Pod"), "shop") as Pod[]).find(
      (p) => p.metadata.labels?.app === "web",
    )!;
    const result = await restart.execute({ namespace: "shop", pod: pod.metadata.name });
    expect(result.owner).toMatch(/^ReplicaSet\//);
    sim.advance(10_000);
    expect(readyWeb()).toBe(3);
    await expect(restart.execute({ namespace: "shop", pod: pod.metadata.name })).rejects.toMatchObject({
      code: "target_not_found",
    });
  });

  it("add_kafka_consumers caps at the partition count and refuses when every partition has a consumer", async () => {
    const add = createAddKafkaConsumersTool({ kube });
    const args = { namespace: "shop", deployment: "orders-consumer", partitions: 6 };
    expect(await add.execute({ ...args, consumers: 10 })).toMatchObject({ previousReplicas: 2, replicas: 6 });
    await expect(add.execute(args)).rejects.toMatchObject({ code: "action_failed" });
  });

  it("failover_database re-points the Service selector, and refuses a selector no Ready pod matches", async () => {
    const failover = createFailoverDatabaseTool({ kube });
    const args = { namespace: "shop", service: "orders-db", selectorKey: "role" };
    await expect(failover.execute({ ...args, to: "tertiary" })).rejects.toMatchObject({
      code: "action_failed",
    });
    expect(await failover.execute({ ...args, to: "secondary" })).toMatchObject({
      from: "primary",
      to: "secondary",
    });
    const svc = await kube.core.readNamespacedService({ name: "orders-db", namespace: "shop" });
    expect(svc.spec?.selector).toEqual({ app: "orders-db", role: "secondary" });
  });

  it("rate_limit_traffic sets ingress-nginx's limit-rps and reports the previous value", async () => {
    const result = await createRateLimitTrafficTool({ kube }).execute({
      namespace: "shop",
      ingress: "web",
      limitRps: 20,
    });
    expect(result).toEqual({ ingress: "web", previous: null, limitRps: 20 });
    const ing = await kube.networking.readNamespacedIngress({ name: "web", namespace: "shop" });
    expect(ing.metadata?.annotations?.["nginx.ingress.kubernetes.io/limit-rps"]).toBe("20");
  });

  it("recreate_pod_elsewhere moves a pod to another node and leaves its node schedulable", async () => {
    const pod = (sim.ctx.store.list(resourceOf("Pod"), "shop") as Pod[]).find(
      (p) => p.metadata.labels?.app === "web",
    )!;
    const ticker = setInterval(() => sim.advance(250), 10);
    try {
      const result = await createRecreatePodElsewhereTool({ kube, pollMs: 20 }).execute({
        namespace: "shop",
        pod: pod.metadata.name,
      });
      expect(result.fromNode).toBe(pod.spec.nodeName);
      expect(result.toNode).not.toBeNull();
      expect(result.toNode).not.toBe(pod.spec.nodeName);
    } finally {
      clearInterval(ticker);
    }
    expect((await kube.core.readNode({ name: pod.spec.nodeName! })).spec?.unschedulable).toBeFalsy();
  });
});
