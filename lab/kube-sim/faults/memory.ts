import { ApiError } from "../http/status.ts";
import type { FaultFamily } from "./types.ts";
import { nextImage, num, rollOutImage, stillRuns, targetDeployment } from "./types.ts";

function leakFamily(family: "oom_killed" | "memory_leak", defaultMiBPerMin: number): FaultFamily {
  return {
    family,
    variants: ["leaky_release"],
    describe:
      family === "oom_killed"
        ? "a release that leaks fast: containers hit their memory limit and are OOMKilled (exit 137), then back off"
        : "a release that leaks slowly: working set climbs toward the memory limit",
    inject(ctx, spec) {
      const d = targetDeployment(ctx, spec.target);
      const c0 = d.spec.template.spec.containers[0]!;
      if (!c0.resources?.limits?.memory) {
        throw new ApiError(
          "BadRequest",
          `deployment ${d.metadata.name} has no memory limit on container ${c0.name}`,
        );
      }
      const image = nextImage(c0.image);
      const rate = num(spec, "leakMiBPerMin", defaultMiBPerMin);
      ctx.world.revisions.push({ image, behaviour: { leakMiBPerMin: rate } });
      rollOutImage(ctx, d, image);
      return {
        cause: `release ${image} of ${d.metadata.name} leaks ${rate} MiB/min`,
        // A restart only resets the working set; the leak comes back with the release.
        clearedBy: "rollback_deployment",
        active: (c) => stillRuns(c, d, image),
        revert: (c) => {
          const i = c.world.revisions.findIndex((r) => r.image === image);
          if (i >= 0) c.world.revisions.splice(i, 1);
        },
      };
    },
  };
}

/** OOMKilled restarts from a fast leak in a new release. */
export const oomKilled = leakFamily("oom_killed", 240);
/** A slow leak in a new release (the predictive watcher's case). */
export const memoryLeak = leakFamily("memory_leak", 16);
