import type { SimContext } from "./controllers/context.ts";
import { R, isActive } from "./controllers/context.ts";
import type { Deployment, Pod } from "./types.ts";

/**
 * Load sent by processes inside the cluster, per `namespace/service`, computed once per simulated instant (a
 * generator started or stopped within the instant counts from the next one).
 */
const cache = new WeakMap<SimContext, { key: string; rps: Map<string, number> }>();

function sentLoad(ctx: SimContext): Map<string, number> {
  const key = String(ctx.clock.now());
  const hit = cache.get(ctx);
  if (hit?.key === key) return hit.rps;
  const rps = new Map<string, number>();
  for (const p of ctx.store.view(R.pods) as readonly Pod[]) {
    if (!isActive(p) || p.status?.phase !== "Running") continue;
    for (const c of p.spec.containers) {
      for (const l of ctx.world.behaviourOf(c, p).load ?? []) {
        const [name, ns] = l.service.split(".");
        const svc = `${ns ?? p.metadata.namespace ?? "default"}/${name}`;
        rps.set(svc, (rps.get(svc) ?? 0) + l.rps);
      }
    }
  }
  cache.set(ctx, { key, rps });
  return rps;
}

/**
 * Requests per second processes in the cluster (load generators) send to the Services that route to this
 * Deployment's pods.
 */
export function generatedRps(ctx: SimContext, d: Deployment): number {
  const sent = sentLoad(ctx);
  if (!sent.size) return 0;
  const ns = d.metadata.namespace ?? "default";
  const labels = d.spec.template.metadata?.labels ?? {};
  let total = 0;
  for (const svc of ctx.store.view(R.services, ns)) {
    const sel = (svc.spec as { selector?: Record<string, string> } | undefined)?.selector ?? {};
    if (!Object.keys(sel).length || !Object.entries(sel).every(([k, v]) => labels[k] === v)) continue;
    total += sent.get(`${ns}/${svc.metadata.name}`) ?? 0;
  }
  return total;
}
