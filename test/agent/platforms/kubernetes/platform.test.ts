import { describe, expect, it } from "vitest";
import type { ActionRecord, Target } from "../../../../core/types.ts";
import { decisionFor as decision } from "../../../helpers/decisions.ts";
import { resourceOf } from "@aegisops/kube-sim";
import { useSimPlatform } from "../../../helpers/simPlatform.ts";
import { k8sWorkload } from "../../../helpers/targets.ts";

const cluster = useSimPlatform();

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
    cluster.sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    cluster.sim.advance(20_000);
    const intent = record("rollback_deployment");
    expect((await cluster.platform.reconcile(intent, checkout)).happened).toBe(false);
    const result = await cluster.platform.execute(decision("rollback_deployment"), checkout);
    cluster.sim.advance(10_000);
    expect((await cluster.platform.reconcile(intent, checkout)).happened).toBe(true);
    expect((await cluster.platform.reconcile({ ...intent, result }, checkout)).happened).toBe(true);
  });

  it("tells whether a recorded drain reached the node", async () => {
    const intent = record("cordon_drain_node");
    expect((await cluster.platform.reconcile(intent, node)).happened).toBe(false);
    const ticker = setInterval(() => cluster.sim.advance(500), 10);
    try {
      await cluster.platform.execute(decision("cordon_drain_node"), node);
    } finally {
      clearInterval(ticker);
    }
    expect((await cluster.platform.reconcile(intent, node)).happened).toBe(true);
  });

  it("scales a deployment to an explicit count, reconciles it, and undoes it", async () => {
    const result = await cluster.platform.execute(decision("scale_deployment", { replicas: 4 }), checkout);
    expect(result).toMatchObject({ previousReplicas: 2, replicas: 4 });
    const done = record("scale_deployment", { params: { replicas: 4 }, result });
    expect((await cluster.platform.reconcile(done, checkout)).happened).toBe(true);
    expect(await cluster.platform.rollback(done, checkout)).toMatchObject({ rolledBack: true });
    const scale = await cluster.kube.apps.readNamespacedDeploymentScale({
      name: "checkout",
      namespace: "shop",
    });
    expect(scale.spec?.replicas).toBe(2);
  });

  it("has no undo for a rollback (rolling forward onto the failed release helps no one)", async () => {
    expect(await cluster.platform.rollback(record("rollback_deployment"), checkout)).toMatchObject({
      rolledBack: false,
    });
  });

  it("dismisses targets in protected namespaces at locate", async () => {
    const located = await cluster.platform.locate({
      kind: "k8s_workload",
      key: "k8s::kube-system/pod/x",
      namespace: "kube-system",
      workload: "pod",
      name: "missing",
    });
    expect(located.ok).toBe(false);
    const ds = cluster.sim.ctx.store.list(resourceOf("Pod"), "kube-system")[0]!;
    const located2 = await cluster.platform.locate({
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
    const ds = cluster.sim.ctx.store.list(resourceOf("DaemonSet"))[0]!;
    const target = {
      kind: "k8s_workload" as const,
      key: `k8s::${ds.metadata.namespace}/daemonset/${ds.metadata.name}`,
      namespace: ds.metadata.namespace!,
      workload: "daemonset" as const,
      name: ds.metadata.name,
    };
    const located = await cluster.platform.locate(target);
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
    expect(await cluster.platform.locate({ ...target, name: "no-such-daemonset" })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not found in the cluster/),
    });
    const missing = await cluster.platform.locate({ ...target, name: "no-such-daemonset" });
    expect(missing.ok === false && missing.code).toBeFalsy();
  });
});
