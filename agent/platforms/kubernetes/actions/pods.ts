import type { KubeAction } from "./action.ts";
import { AegisError } from "../../../../core/errors.ts";
import { workloadSignals } from "../signals.ts";
import { ownNodeSignals } from "../dependencySignals.ts";

/** Delete the worst pod (or the one named) so its controller replaces it; `force` sets grace period 0. */
export const restartPod: KubeAction = {
  id: "restart_pod",
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
