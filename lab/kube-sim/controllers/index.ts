import { reconcileChaos } from "../chaos/controller.ts";
import { reconcileFlags } from "../flags/controller.ts";
import type { SimContext } from "./context.ts";
import { reconcileDaemonSets } from "./daemonset.ts";
import { reconcileDeployments } from "./deployment.ts";
import { collectGarbage } from "./gc.ts";
import { reconcileHpas } from "./hpa.ts";
import { reconcileCronJobs } from "./cronjob.ts";
import { reconcileJobs } from "./job.ts";
import { reconcileStatefulSets } from "./statefulset.ts";
import { reconcileStorage } from "./storage.ts";
import { runKubelets } from "./kubelet.ts";
import { reconcileNodes } from "./node.ts";
import { reconcilePdbs } from "./pdb.ts";
import { reconcileQuotas } from "./quota.ts";
import { reconcileEndpoints } from "./endpoints.ts";
import { reconcileIngresses } from "./ingress.ts";
import { reconcileReplicaSets } from "./replicaset.ts";
import { schedulePods } from "./scheduler.ts";

const MAX_PASSES = 12;

/** Runs every controller until the store settles (level-triggered, like the real ones but in one process). */
export function runControllers(ctx: SimContext): void {
  for (let i = 0; i < MAX_PASSES; i++) {
    const before = ctx.store.currentVersion();
    collectGarbage(ctx);
    reconcileNodes(ctx);
    reconcileHpas(ctx);
    reconcileDeployments(ctx);
    reconcileReplicaSets(ctx);
    reconcileDaemonSets(ctx);
    reconcileStatefulSets(ctx);
    reconcileCronJobs(ctx);
    reconcileJobs(ctx);
    reconcileChaos(ctx);
    reconcileFlags(ctx);
    schedulePods(ctx);
    reconcileStorage(ctx);
    runKubelets(ctx);
    reconcilePdbs(ctx);
    reconcileQuotas(ctx);
    reconcileEndpoints(ctx);
    reconcileIngresses(ctx);
    if (ctx.store.currentVersion() === before) return;
  }
}
