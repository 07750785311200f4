import { R, isActive } from "../controllers/context.ts";
import { isDaemonPod } from "../controllers/node.ts";
import { ApiError } from "../http/status.ts";
import type { SimContext } from "../controllers/context.ts";
import type { Pod } from "../types.ts";
import type { FaultFamily } from "./types.ts";

function targetNode(ctx: SimContext, name: string): string {
  if (!ctx.store.peek(R.nodes, undefined, name)) throw new ApiError("NotFound", `nodes "${name}" not found`);
  return name;
}

const workloadPodsOn = (ctx: SimContext, node: string) =>
  (ctx.store.view(R.pods) as readonly Pod[]).filter(
    (p) => p.spec.nodeName === node && isActive(p) && !isDaemonPod(p),
  );

/** Node NotReady: the node's kubelet stops reporting; its pods turn NotReady and are evicted after the timeout. */
export const nodeNotReady: FaultFamily = {
  family: "node_not_ready",
  variants: ["kubelet_down"],
  describe: "the node's kubelet stops posting status: Ready=Unknown, unreachable taints, its pods NotReady",
  inject(ctx, spec) {
    const node = targetNode(ctx, spec.target);
    ctx.world.node(node).kubeletDown = true;
    return {
      cause: `kubelet on ${node} stopped posting status`,
      clearedBy: "cordon_drain_node (moves the workloads; the node itself stays NotReady until repaired)",
      active: (c) => c.world.node(node).kubeletDown && workloadPodsOn(c, node).length > 0,
      revert: (c) => {
        c.world.node(node).kubeletDown = false;
      },
    };
  },
};

/** DiskPressure: the node's own workloads fill its disk (logs, emptyDirs); a drain lets the kubelet reclaim it. */
export const diskPressure: FaultFamily = {
  family: "disk_pressure",
  variants: ["workload_logs"],
  describe: "the node's disk fills from its pods' logs and emptyDirs: DiskPressure, a NoSchedule taint",
  inject(ctx, spec) {
    const node = targetNode(ctx, spec.target);
    ctx.world.node(node).diskFilling = true;
    return {
      cause: `pods on ${node} filled its disk with logs and emptyDir data`,
      clearedBy: "cordon_drain_node",
      active: (c) => c.world.node(node).diskFilling,
      revert: (c) => {
        c.world.node(node).diskFilling = false;
      },
    };
  },
};
