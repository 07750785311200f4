import { ApiError } from "../http/status.ts";
import type { Deployment } from "../types.ts";
import type { RevisionBehaviour } from "../world.ts";
import type { SimContext } from "../controllers/context.ts";
import type { FaultFamily, FaultSpec, InjectedCause } from "./types.ts";
import { nextImage, num, rollOutImage, stillRuns, targetDeployment } from "./types.ts";

function withMemoryLimit(ctx: SimContext, spec: FaultSpec): Deployment {
  const d = targetDeployment(ctx, spec.target);
  const c0 = d.spec.template.spec.containers[0]!;
  if (!c0.resources?.limits?.memory) {
    throw new ApiError(
      "BadRequest",
      `deployment ${d.metadata.name} has no memory limit on container ${c0.name}`,
    );
  }
  return d;
}

/** Rolls out a new release of `d` with `behaviour`, removed again by a lab reset. */
function release(
  ctx: SimContext,
  d: Deployment,
  behaviour: RevisionBehaviour,
): Pick<InjectedCause, "active" | "revert"> & { image: string } {
  const image = nextImage(d.spec.template.spec.containers[0]!.image);
  ctx.world.revisions.push({ image, behaviour });
  rollOutImage(ctx, d, image);
  return {
    image,
    active: (c) => stillRuns(c, d, image),
    revert: (c) => {
      const i = c.world.revisions.findIndex((r) => r.image === image);
      if (i >= 0) c.world.revisions.splice(i, 1);
    },
  };
}

function leakFamily(family: "oom_killed" | "memory_leak", defaultMiBPerMin: number): FaultFamily {
  return {
    family,
    variants: family === "memory_leak" ? ["leaky_release", "warm_cache"] : ["leaky_release"],
    describe:
      family === "oom_killed"
        ? "a release that leaks fast: containers hit their memory limit and are OOMKilled (exit 137), then back off"
        : "a release that leaks slowly: working set climbs toward the memory limit (warm_cache: a release whose cache fills once and then holds, high but flat)",
    inject(ctx, spec) {
      const d = withMemoryLimit(ctx, spec);
      if (spec.variant === "warm_cache") {
        const mib = num(spec, "cacheMiB", 120);
        const warmMs = num(spec, "warmMs", 120_000);
        const r = release(ctx, d, { cache: { mib, warmMs } });
        return {
          cause: `release ${r.image} of ${d.metadata.name} fills a ${mib} MiB cache in ${Math.round(warmMs / 1000)} s after each start, then holds it`,
          // Nothing is wrong: the working set is high but flat; a restart only empties the cache for a while.
          clearedBy: "nothing (not a leak: the working set stays below the limit)",
          active: r.active,
          revert: r.revert,
        };
      }
      const rate = num(spec, "leakMiBPerMin", defaultMiBPerMin);
      const r = release(ctx, d, { leakMiBPerMin: rate });
      return {
        cause: `release ${r.image} of ${d.metadata.name} leaks ${rate} MiB/min`,
        // A restart only resets the working set; the leak comes back with the release.
        clearedBy: "rollback_deployment",
        active: r.active,
        revert: r.revert,
      };
    },
  };
}

/** OOMKilled restarts from a fast leak in a new release. */
export const oomKilled = leakFamily("oom_killed", 240);
/** A slow leak in a new release (the predictive watcher's case); or its look-alike, a cache that warms and holds. */
export const memoryLeak = leakFamily("memory_leak", 16);
