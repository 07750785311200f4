import { R, isPodReady } from "../controllers/context.ts";
import { ApiError } from "../http/status.ts";
import { podsOfDeployment } from "../load.ts";
import type { Pod } from "../types.ts";
import type { FaultFamily } from "./types.ts";
import { num, targetDeployment } from "./types.ts";

/**
 * One replica degraded while its siblings are fine: `gc_thrash` (the JVM spends its time in full collections:
 * that pod's latency and CPU climb) or `stuck_pool` (its connection pool leaked every connection: that pod's
 * requests wait 30 s and fail). The state lives in the process, so restarting that one pod clears it; the
 * revision is fine (a rollback changes nothing), and the other pods show nothing.
 */
export const podDegraded: FaultFamily = {
  family: "pod_degraded",
  variants: ["gc_thrash", "stuck_pool"],
  describe: "one replica degrades (GC thrash or a leaked connection pool) while the others are fine",
  inject(ctx, spec) {
    const d = targetDeployment(ctx, spec.target);
    const ready = podsOfDeployment(ctx, d)
      .filter(isPodReady)
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const pod = ready[num(spec, "pod", 0)];
    if (!pod) throw new ApiError("BadRequest", `deployment ${d.metadata.name} has no such running pod`);
    const mode = spec.variant === "stuck_pool" ? "stuck_pool" : "gc_thrash";
    const uid = pod.metadata.uid!;
    ctx.world.degraded.set(uid, { mode, since: ctx.clock.now() });
    return {
      cause:
        mode === "gc_thrash"
          ? `the JVM of pod ${pod.metadata.name} thrashes in full garbage collections`
          : `the connection pool of pod ${pod.metadata.name} leaked all its connections`,
      clearedBy: `restart_pod (${pod.metadata.name})`,
      active: (c) => (c.store.view(R.pods) as readonly Pod[]).some((p) => p.metadata.uid === uid),
      revert: (c) => {
        c.world.degraded.delete(uid);
      },
    };
  },
};
