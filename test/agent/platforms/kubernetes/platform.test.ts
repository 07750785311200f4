import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createKubernetesPlatform } from "../../../../agent/platforms/kubernetes/kubernetesPlatform.ts";
import type { Platform } from "../../../../agent/platforms/platform.ts";
import type { ActionRecord, Target } from "../../../../core/types.ts";
import { decisionFor as decision } from "../../../helpers/decisions.ts";
import { type KubeSim, startKubeSim, resourceOf } from "@aegisops/kube-sim";
import { createKubeClients, type KubeClients } from "../../../../tools/kubernetes/client.ts";
import { k8sWorkload } from "../../../helpers/targets.ts";

let sim: KubeSim;
let kube: KubeClients;
let platform: Platform;
beforeEach(async () => {
  sim = await startKubeSim({ clock: "virtual" });
  sim.advance(5000);
  kube = createKubeClients({ kind: "string", yaml: sim.kubeconfig() });
  platform = createKubernetesPlatform({ kube });
});
afterEach(async () => {
  await sim?.stop();
});

const checkout = k8sWorkload("checkout");
const node: Target = { kind: "k8s_node", key: "k8s::node/sim-node-3", name: "sim-node-3" };
const record = (action: ActionRecord["action"], extra: Partial<ActionRecord> = {}): ActionRecord => ({
  key: "inc:act:1",
  action,
  target: "x",
  params: {},
  attempt: 1,
  state: "pending",
  requestedAt: new Date(Date.now() - 1000).toISOString(),
  ...extra,
});

describe("Kubernetes platform: reconcile after a crash, and undo", () => {
  it("tells whether a recorded rollback reached the cluster", async () => {
    sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    sim.advance(20_000);
    const intent = record("rollback_deployment");
    expect((await platform.reconcile(intent, checkout)).happened).toBe(false);
    const result = await platform.execute(decision("rollback_deployment"), checkout);
    sim.advance(10_000);
    expect((await platform.reconcile(intent, checkout)).happened).toBe(true);
    expect((await platform.reconcile({ ...intent, result }, checkout)).happened).toBe(true);
  });

  it("tells whether a recorded drain reached the node", async () => {
    const intent = record("cordon_drain_node");
    expect((await platform.reconcile(intent, node)).happened).toBe(false);
    const ticker = setInterval(() => sim.advance(500), 10);
    try {
      await platform.execute(decision("cordon_drain_node"), node);
    } finally {
      clearInterval(ticker);
    }
    expect((await platform.reconcile(intent, node)).happened).toBe(true);
  });

  it("scales a deployment to an explicit count, reconciles it, and undoes it", async () => {
    const result = await platform.execute(decision("scale_deployment", { replicas: 4 }), checkout);
    expect(result).toMatchObject({ previousReplicas: 2, replicas: 4 });
    const done = record("scale_deployment", { params: { replicas: 4 }, result });
    expect((await platform.reconcile(done, checkout)).happened).toBe(true);
    expect(await platform.rollback(done, checkout)).toMatchObject({ rolledBack: true });
    const scale = await kube.apps.readNamespacedDeploymentScale({ name: "checkout", namespace: "shop" });
    expect(scale.spec?.replicas).toBe(2);
  });

  it("has no undo for a rollback (rolling forward onto the failed release helps no one)", async () => {
    expect(await platform.rollback(record("rollback_deployment"), checkout)).toMatchObject({
      rolledBack: false,
    });
  });

  it("dismisses targets in protected namespaces at locate", async () => {
    const located = await platform.locate({
      kind: "k8s_workload",
      key: "k8s::kube-system/pod/x",
      namespace: "kube-system",
      workload: "pod",
      name: "missing",
    });
    expect(located.ok).toBe(false);
    const ds = sim.ctx.store.list(resourceOf("Pod"), "kube-system")[0]!;
    const located2 = await platform.locate({
      kind: "k8s_workload",
      key: "k8s::kube-system/pod/ne",
      namespace: "kube-system",
      workload: "pod",
      name: ds.metadata.name,
    });
    expect(located2).toMatchObject({
      ok: true,
      protectedReason: "namespace kube-system is protected by policy",
    });
  });

  it("a DaemonSet an alert names: it exists, and no catalog action acts on one (not 'not found')", async () => {
    const ds = sim.ctx.store.list(resourceOf("DaemonSet"))[0]!;
    const target = {
      kind: "k8s_workload" as const,
      key: `k8s::${ds.metadata.namespace}/daemonset/${ds.metadata.name}`,
      namespace: ds.metadata.namespace!,
      workload: "daemonset" as const,
      name: ds.metadata.name,
    };
    const located = await platform.locate(target);
    expect(located).toMatchObject({
      ok: false,
      code: "target_unsupported",
      object: `${ds.metadata.namespace}/daemonset/${ds.metadata.name}`,
      reason: expect.stringMatching(
        /exists \(\d+ desired, \d+ Ready, \d+ on the newest template\), but no catalog action acts on a daemonset/,
      ),
    });
    // A DaemonSet whose pods all run Ready says so, and no rollout to undo.
    expect(located.ok === false && located.reason).not.toMatch(/stopped|rollout undo/);
    expect(await platform.locate({ ...target, name: "no-such-daemonset" })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not found in the cluster/),
    });
    const missing = await platform.locate({ ...target, name: "no-such-daemonset" });
    expect(missing.ok === false && missing.code).toBeFalsy();
  });
});
