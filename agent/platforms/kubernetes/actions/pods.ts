import type { KubeAction } from "./action.ts";
import { AegisError } from "../../../../core/errors.ts";
import { kubeStatus } from "../../../../tools/kubernetes/kubeErrors.ts";
import { workloadSignals } from "../signals.ts";
import { ownNodeSignals } from "../dependencySignals.ts";

/** Delete the worst pod (or the one named) so its controller replaces it; `force` sets grace period 0. */
export const restartPod: KubeAction = {
  id: "restart_pod",
  undo: { kind: "none", why: "a deleted pod is not brought back; its controller already replaced it" },
  async precheck(ctx, target, p) {
    const t = ctx.workload(target);
    const name = typeof p.pod === "string" ? p.pod : t.workload === "pod" ? t.name : undefined;
    if (!name) return undefined;
    const pod = await ctx.kube.core
      .readNamespacedPod({ name, namespace: t.namespace })
      .catch((err: unknown) => (kubeStatus(err) === 404 ? null : Promise.reject(err)));
    if (!pod) return `pod ${t.namespace}/${name} is already gone (replaced since the investigation)`;
    // Deleting a pod already terminating adds nothing; only a forced delete (grace period 0) does.
    if (pod.metadata?.deletionTimestamp && p.force !== true)
      return `pod ${t.namespace}/${name} is already terminating; a second delete without force changes nothing`;
    return undefined;
  },
  async run(ctx, target, p) {
    const { tools, workload, podToRestart } = ctx;
    const t = workload(target);
    return {
      ...(await tools.restartPod.execute({
        namespace: t.namespace,
        pod: await podToRestart(t, p),
        force: p.force === true,
      })),
    };
  },
};

/** Rolling restart of the Deployment (new pods start before old ones stop). */
export const rolloutRestart: KubeAction = {
  id: "rollout_restart",
  undo: { kind: "none", why: "a rolling restart runs the same spec again: there is nothing to put back" },
  async precheck(ctx, target) {
    const t = ctx.workload(target);
    const name = await ctx.mustDeployment(t);
    const d = await ctx.kube.apps.readNamespacedDeployment({ name, namespace: t.namespace });
    if (d.spec?.paused) return `deployment ${t.namespace}/${name} is paused: a restart would not roll out`;
    if ((d.spec?.replicas ?? 1) === 0)
      return `deployment ${t.namespace}/${name} runs 0 replicas: nothing to restart`;
    return undefined;
  },
  async run(ctx, target, _p) {
    const { tools, workload, mustDeployment } = ctx;
    const t = workload(target);
    return {
      ...(await tools.rolloutRestart.execute({
        namespace: t.namespace,
        deployment: await mustDeployment(t),
      })),
    };
  },
};

/** Recreate one pod off the node that makes it slow or drops its packets (its own, or its callee's). */
export const recreatePodElsewhere: KubeAction = {
  id: "recreate_pod_elsewhere",
  undo: {
    kind: "none",
    why: "the pod was replaced on another node; moving it back onto the node that harmed it helps no one",
  },
  symptom: "slow_on_one_node",
  async run(ctx, target, p) {
    const { tools, workload, observe, observeCallee, movedOwnPod } = ctx;
    const t = workload(target);
    let pod = typeof p.pod === "string" ? p.pod : undefined;
    if (!pod) {
      const { obs } = await observe(t);
      const own = workloadSignals(obs);
      const node = own.find((s) => s.name === "slow_on_one_node")?.value;
      pod = obs.pods.find((x) => x.node === node && !x.deleting)?.name;
      // Packet loss: the pod to move is the callee's, on the node whose network drops packets.
      const callee = own.find((s) => s.name === "callee_unreachable")?.value;
      if (!pod && typeof callee === "string") {
        const seen = await observeCallee(t, callee, []);
        const lossy = seen.signals.find((s) => s.name === "callee_node_lossy")?.value;
        pod = seen.pods.find((x) => x.node === lossy && !x.deleting)?.name;
      } else if (!pod) {
        const lossy = ownNodeSignals(obs.pods, obs.logs)[0]?.value;
        pod = obs.pods.find((x) => x.node === lossy && !x.deleting)?.name;
        if (pod) movedOwnPod.add(t.key);
      }
    }
    if (!pod) throw new AegisError("action_failed", `no pod of ${t.key} on a node to move away from`);
    return { ...(await tools.recreate.execute({ namespace: t.namespace, pod })) };
  },
};
