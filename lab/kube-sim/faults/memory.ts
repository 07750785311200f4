import { ApiError } from "../http/status.ts";
import type { Deployment } from "../types.ts";
import type { RevisionBehaviour } from "../world.ts";
import { World, parseBytes } from "../world.ts";
import { rfc3339 } from "../clock.ts";
import { R, controllerOf, save } from "../controllers/context.ts";
import { podsOfDeployment } from "../load.ts";
import type { Pod } from "../types.ts";
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
    variants: family === "memory_leak" ? ["leaky_release", "warm_cache", "old_revision"] : ["leaky_release"],
    describe:
      family === "oom_killed"
        ? "a release that leaks fast: containers hit their memory limit and are OOMKilled (exit 137), then back off"
        : "a release that leaks slowly: working set climbs toward the memory limit (warm_cache: a release whose cache fills once and then holds, high but flat)",
    inject(ctx, spec) {
      const d = withMemoryLimit(ctx, spec);
      if (family === "memory_leak" && spec.variant === "old_revision") return oldRevisionLeak(ctx, spec, d);
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

const MiB = 1024 * 1024;
const DAY_MS = 86_400_000;

/**
 * A slow leak in the revision that has run for days: no rollout happened, the Deployment, its ReplicaSet and
 * pods are `ageDays` old (default 4), and each pod's working set has crept to `fill` (default 0.85) of its
 * memory limit. A rollback has nothing recent to go back to; a restart only resets the working set for days.
 */
function oldRevisionLeak(ctx: SimContext, spec: FaultSpec, d: Deployment): InjectedCause {
  const ageMs = num(spec, "ageDays", 4) * DAY_MS;
  const fill = num(spec, "fill", 0.85);
  const c0 = d.spec.template.spec.containers[0]!;
  const image = c0.image ?? "";
  const limit = parseBytes(c0.resources?.limits?.memory)!;
  const base = World.baseMemory(ctx.world.behaviourOf(c0));
  const rate = Math.max(0.001, (limit * fill - base) / MiB / (ageMs / 60_000));
  ctx.world.revisions.push({ image, behaviour: { leakMiBPerMin: rate } });
  const now = ctx.clock.now();
  const ns = d.metadata.namespace!;
  const pods = podsOfDeployment(ctx, d);
  ctx.store.backdate(R.deployments, ns, d.metadata.name, now - ageMs - 3_600_000);
  for (const rs of ctx.store.view(R.replicasets, ns))
    if (controllerOf(rs)?.uid === d.metadata.uid)
      ctx.store.backdate(R.replicasets, ns, rs.metadata.name, now - ageMs - 3_600_000);
  for (const p of pods) {
    ctx.store.backdate(R.pods, ns, p.metadata.name, now - ageMs);
    const rt = ctx.world.runtimes.get(p.metadata.uid!);
    if (!rt) continue;
    rt.scheduledAt = now - ageMs;
    for (const cr of rt.containers.values()) if (cr.state === "running") cr.startedAt = now - ageMs + 5_000;
    const cur = ctx.store.peek(R.pods, ns, p.metadata.name) as Pod | undefined;
    if (cur) save(ctx, R.pods, { ...cur, status: { ...cur.status, startTime: rfc3339(now - ageMs) } });
  }
  return {
    cause: `${image}, running for ${Math.round(ageMs / DAY_MS)} days, leaks ${rate.toFixed(3)} MiB/min`,
    clearedBy: "nothing in the catalog fixes the code: a restart buys days; a fix must be released",
    active: (c) => c.world.revisions.some((r) => r.image === image && r.behaviour.leakMiBPerMin === rate),
    revert: (c) => {
      const i = c.world.revisions.findIndex((r) => r.image === image && r.behaviour.leakMiBPerMin === rate);
      if (i >= 0) c.world.revisions.splice(i, 1);
    },
  };
}
