import { R, isPodReady } from "../controllers/context.ts";
import { ApiError } from "../http/status.ts";
import { podsOfDeployment } from "../load.ts";
import type { Pod } from "../types.ts";
import type { FaultFamily } from "./types.ts";
import { targetDeployment } from "./types.ts";

/**
 * Hung service: the process of one pod deadlocks in uninterruptible sleep (a stuck NFS mount, a kernel wait). It
 * keeps running but answers nothing: readiness probes time out, it logs nothing more, and it ignores SIGTERM and
 * SIGKILL, so a plain `kubectl delete pod` leaves it Terminating for good. Only a force delete (grace period 0)
 * removes the pod object so its ReplicaSet's replacement takes over (`restart_pod` with `force`).
 */
export const hungService: FaultFamily = {
  family: "hung_service",
  variants: ["deadlock"],
  describe:
    "one pod's process hangs unkillably: readiness probes time out; a graceful delete leaves it Terminating",
  inject(ctx, spec) {
    const d = targetDeployment(ctx, spec.target);
    const pod = podsOfDeployment(ctx, d).find(isPodReady);
    if (!pod) throw new ApiError("BadRequest", `deployment ${d.metadata.name} has no running pod to hang`);
    const uid = pod.metadata.uid!;
    const name = pod.metadata.name;
    ctx.world.hung.set(uid, { since: ctx.clock.now(), lastProbeAt: 0 });
    return {
      cause: `the process of pod ${name} hangs in uninterruptible sleep (ignores SIGTERM and SIGKILL)`,
      clearedBy: "restart_pod (force: grace period 0)",
      active: (c) => (c.store.view(R.pods) as readonly Pod[]).some((p) => p.metadata.uid === uid),
      revert: (c) => {
        c.world.hung.delete(uid);
      },
    };
  },
};
