import { terminatePod } from "./termination.ts";
import { rfc3339 } from "../clock.ts";
import { ApiError } from "../http/status.ts";
import { selectorMatches } from "../http/selectors.ts";
import type { Deployment, Pod, PodDisruptionBudget } from "../types.ts";
import type { SimContext } from "./context.ts";
import { R, isActive, isPodReady, save } from "./context.ts";

function resolve(v: number | string, total: number, roundUp: boolean): number {
  if (typeof v === "number") return v;
  const pct = Number(v.replace("%", "")) / 100;
  return roundUp ? Math.ceil(pct * total) : Math.floor(pct * total);
}

function podsOf(ctx: SimContext, pdb: PodDisruptionBudget): Pod[] {
  return (ctx.store.view(R.pods, pdb.metadata.namespace) as readonly Pod[]).filter(
    (p) => isActive(p) && selectorMatches(pdb.spec.selector, p.metadata.labels),
  );
}

/** Expected pods: the scale of the deployments whose pods the budget selects, else the pods it selects. */
function expectedPods(ctx: SimContext, pdb: PodDisruptionBudget, pods: Pod[]): number {
  const deps = (ctx.store.view(R.deployments, pdb.metadata.namespace) as readonly Deployment[]).filter((d) =>
    selectorMatches(pdb.spec.selector, d.spec.template.metadata?.labels),
  );
  return deps.length ? deps.reduce((n, d) => n + (d.spec.replicas ?? 1), 0) : pods.length;
}

/** The disruption controller: PDB status (healthy, desired, disruptions allowed). */
export function reconcilePdbs(ctx: SimContext): void {
  for (const o of ctx.store.view(R.pdbs)) {
    const pdb = o as PodDisruptionBudget;
    const pods = podsOf(ctx, pdb);
    const expected = expectedPods(ctx, pdb, pods);
    const healthy = pods.filter(isPodReady).length;
    let desired: number;
    if (pdb.spec.minAvailable !== undefined) desired = resolve(pdb.spec.minAvailable, expected, true);
    else if (pdb.spec.maxUnavailable !== undefined)
      desired = Math.max(0, expected - resolve(pdb.spec.maxUnavailable, expected, true));
    else desired = expected;
    const allowed = Math.max(0, healthy - desired);
    const prevCond = pdb.status?.conditions?.[0];
    const ok = allowed > 0;
    const status = {
      observedGeneration: pdb.metadata.generation,
      currentHealthy: healthy,
      desiredHealthy: desired,
      disruptionsAllowed: allowed,
      expectedPods: expected,
      conditions: [
        {
          type: "DisruptionAllowed",
          status: (ok ? "True" : "False") as "True" | "False",
          reason: ok ? "SufficientPods" : "InsufficientPods",
          message: "",
          lastTransitionTime:
            prevCond && prevCond.status === (ok ? "True" : "False")
              ? prevCond.lastTransitionTime
              : rfc3339(ctx.clock.now()),
        },
      ],
    };
    if (JSON.stringify(status) !== JSON.stringify(pdb.status)) save(ctx, R.pdbs, { ...pdb, status });
  }
}

/**
 * The eviction subresource: deletes the pod unless a PodDisruptionBudget that selects it (a healthy pod) has no
 * disruption left, in which case it answers 429 as the API server does.
 */
export function evictPod(ctx: SimContext, namespace: string, name: string): void {
  reconcilePdbs(ctx);
  const pod = ctx.store.mustGet(R.pods, namespace, name) as Pod;
  const pdbs = (ctx.store.view(R.pdbs, namespace) as readonly PodDisruptionBudget[]).filter((b) =>
    selectorMatches(b.spec.selector, pod.metadata.labels),
  );
  if (pdbs.length > 1) {
    throw new ApiError(
      "InternalError",
      "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
    );
  }
  const pdb = pdbs[0];
  if (pdb && isPodReady(pod)) {
    const st = pdb.status!;
    if (st.disruptionsAllowed <= 0) {
      throw new ApiError(
        "TooManyRequests",
        "Cannot evict pod as it would violate the pod's disruption budget.",
        {
          causes: [
            {
              reason: "DisruptionBudget",
              message: `The disruption budget ${pdb.metadata.name} needs ${st.desiredHealthy} healthy pods and has ${st.currentHealthy} currently`,
            },
          ],
        },
      );
    }
    save(ctx, R.pdbs, {
      ...pdb,
      status: {
        ...st,
        disruptionsAllowed: st.disruptionsAllowed - 1,
        disruptedPods: { ...st.disruptedPods, [name]: rfc3339(ctx.clock.now()) },
      },
    });
  }
  ctx.events.record(
    pod,
    "Normal",
    "Killing",
    `Stopping container ${pod.spec.containers[0]?.name ?? ""}`,
    "kubelet",
    pod.spec.nodeName,
  );
  terminatePod(ctx, namespace, name, undefined);
}
