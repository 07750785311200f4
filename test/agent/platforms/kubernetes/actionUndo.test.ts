import { describe, expect, it } from "vitest";
import { KUBE_ACTIONS } from "../../../../agent/platforms/kubernetes/actions/index.ts";
import { redactingPlatform } from "../../../../agent/platforms/redacting.ts";
import type { ActionRecord, Target } from "../../../../core/types.ts";
import { decisionFor as decision } from "../../../helpers/decisions.ts";
import { useSimPlatform } from "../../../helpers/simPlatform.ts";
import { mergePatch } from "../../../../tools/kubernetes/kubeErrors.ts";
import { k8sWorkload } from "../../../helpers/targets.ts";

// Through the evidence boundary, as the agent and the API reach it.
const cluster = useSimPlatform({ wrap: redactingPlatform });

const node: Target = { kind: "k8s_node", key: "k8s::node/sim-node-3", name: "sim-node-3" };
const sent = (action: ActionRecord["action"], result?: Record<string, unknown>): ActionRecord => ({
  key: "inc:act:1",
  action,
  target: "x",
  params: {},
  attempt: 1,
  state: "sent",
  requestedAt: new Date(Date.now() - 1000).toISOString(),
  ...(result ? { result } : {}),
});
const undo = (record: ActionRecord, target: Target) => {
  if (!cluster.platform.undo) throw new Error("the Kubernetes platform must offer a person's undo");
  return cluster.platform.undo(record, target);
};
/** cordon_drain_node on sim-node-3 through the platform, the simulator's clock running while it drains. */
async function cordonDrain() {
  const ticker = setInterval(() => cluster.sim.advance(500), 10);
  try {
    return await cluster.platform.execute(decision("cordon_drain_node"), node);
  } finally {
    clearInterval(ticker);
  }
}
const image = async (name: string) =>
  (await cluster.kube.apps.readNamespacedDeployment({ name, namespace: "shop" })).spec?.template.spec
    ?.containers[0]?.image;

describe("each Kubernetes action carries its own undo", () => {
  it("every catalog action says how it is undone, or why it cannot be", () => {
    for (const a of Object.values(KUBE_ACTIONS)) {
      expect(a.undo.kind === "none" ? a.undo.why.length : typeof a.undo.run, a.id).toBeTruthy();
    }
  });

  it("scale_deployment → back to the previous replica count, unasked or asked", async () => {
    const result = await cluster.platform.execute(
      decision("scale_deployment", { replicas: 5 }),
      k8sWorkload("checkout"),
    );
    const r = await undo(sent("scale_deployment", result), k8sWorkload("checkout"));
    expect(r).toMatchObject({ rolledBack: true, detail: "scaled back to 2 replica(s)" });
    const scale = await cluster.kube.apps.readNamespacedDeploymentScale({
      name: "checkout",
      namespace: "shop",
    });
    expect(scale.spec?.replicas).toBe(2);
  });

  it("raise_hpa_limits → the HPA's previous bounds", async () => {
    const result = await cluster.platform.execute(
      decision("raise_hpa_limits", { maxReplicas: 8 }),
      k8sWorkload("web"),
    );
    expect(result).toMatchObject({ previousMax: 4 });
    const raised = await cluster.kube.autoscaling.readNamespacedHorizontalPodAutoscaler({
      name: "web",
      namespace: "shop",
    });
    expect(raised.spec?.maxReplicas).toBe(8);
    expect(await undo(sent("raise_hpa_limits", result), k8sWorkload("web"))).toMatchObject({
      rolledBack: true,
    });
    const hpa = await cluster.kube.autoscaling.readNamespacedHorizontalPodAutoscaler({
      name: "web",
      namespace: "shop",
    });
    expect([hpa.spec?.minReplicas, hpa.spec?.maxReplicas]).toEqual([3, 4]);
  });

  it("rollback_deployment → a person can roll forward to the revision it left; verification never does unasked", async () => {
    const good = await image("checkout");
    cluster.sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    cluster.sim.advance(20_000);
    const bad = await image("checkout");
    expect(bad).not.toBe(good);
    const result = await cluster.platform.execute(decision("rollback_deployment"), k8sWorkload("checkout"));
    cluster.sim.advance(5000);
    expect(await image("checkout")).toBe(good);

    const unasked = await cluster.platform.rollback(
      sent("rollback_deployment", result),
      k8sWorkload("checkout"),
    );
    expect(unasked.rolledBack).toBe(false);
    expect(unasked.detail).toMatch(/a person can undo it/);
    expect(await image("checkout")).toBe(good);

    const asked = await undo(sent("rollback_deployment", result), k8sWorkload("checkout"));
    expect(asked).toMatchObject({ rolledBack: true });
    expect(asked.detail).toMatch(new RegExp(`revision ${String(result.fromRevision)}\\b`));
    expect(await image("checkout")).toBe(bad);
    // Asked twice, the second changes nothing: the deployment already runs that revision.
    cluster.sim.advance(5000);
    expect(await undo(sent("rollback_deployment", result), k8sWorkload("checkout"))).toMatchObject({
      rolledBack: false,
    });
  });

  it("cordon_drain_node → a person can uncordon the node; verification never does unasked", async () => {
    const result = await cordonDrain();
    const unschedulable = async () =>
      (await cluster.kube.core.readNode({ name: "sim-node-3" })).spec?.unschedulable;
    expect(await unschedulable()).toBe(true);
    expect((await cluster.platform.rollback(sent("cordon_drain_node", result), node)).rolledBack).toBe(false);
    expect(await unschedulable()).toBe(true);
    expect(await undo(sent("cordon_drain_node", result), node)).toMatchObject({ rolledBack: true });
    expect(await unschedulable()).toBeFalsy();
  });

  it("cordon_drain_node → a person's undo is held when the node was uncordoned by hand since: nothing left to do", async () => {
    const result = await cordonDrain();
    const record = sent("cordon_drain_node", result);
    expect(await cluster.platform.undoConflict!(record, node)).toBeUndefined();
    await cluster.kube.core.patchNode(
      { name: "sim-node-3", body: { spec: { unschedulable: false } } },
      mergePatch,
    );
    expect(await cluster.platform.undoConflict!(record, node)).toBe(
      "node sim-node-3 is schedulable again: it was uncordoned since the drain, so the undo has nothing to do (pods may already run on it)",
    );
  });

  it("restart_pod and rollout_restart → no undo, and the reason in plain words", async () => {
    const restarted = await undo(sent("restart_pod", { pod: "x" }), k8sWorkload("checkout"));
    expect(restarted).toMatchObject({ rolledBack: false });
    expect(restarted.detail).toMatch(/^restart_pod has no undo: a deleted pod is not brought back/);
    const rolled = await undo(sent("rollout_restart", {}), k8sWorkload("checkout"));
    expect(rolled.detail).toMatch(/^rollout_restart has no undo: .*same spec/);
  });

  it("an action that recorded nothing to go back to says so and changes nothing", async () => {
    const r = await undo(sent("scale_deployment"), k8sWorkload("checkout"));
    expect(r).toEqual({ rolledBack: false, detail: "scale_deployment recorded no previous replica count" });
    const scale = await cluster.kube.apps.readNamespacedDeploymentScale({
      name: "checkout",
      namespace: "shop",
    });
    expect(scale.spec?.replicas).toBe(2);
  });
});
