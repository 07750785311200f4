import type { KubeAction } from "./action.ts";
import { AegisError } from "../../../../core/errors.ts";
import { readRollout } from "../../../../tools/kubernetes/rolloutHistory.ts";

/** Back to the previous revision: through Argo CD when it manages the Deployment, else natively. */
export const rollbackDeployment: KubeAction = {
  id: "rollback_deployment",
  async precheck(ctx, target, p) {
    const t = ctx.workload(target);
    const deployment = await ctx.mustDeployment(t);
    // Argo CD keeps its own history: it says itself when there is nothing to roll back to.
    if (ctx.tools.argocdRollback && (await ctx.argocdApplicationOf(t, deployment))) return undefined;
    const r = await readRollout(ctx.kube, t.namespace, deployment);
    if (r.revisions.length < 2)
      return `deployment ${t.namespace}/${deployment} has no earlier revision to roll back to`;
    if (typeof p.toRevision === "number" && !r.revisions.some((x) => x.revision === p.toRevision))
      return `deployment ${t.namespace}/${deployment} has no revision ${p.toRevision} (it keeps ${r.revisions.map((x) => x.revision).join(", ")})`;
    return undefined;
  },
  async run(ctx, target, p) {
    const { tools, workload, mustDeployment, argocdApplicationOf } = ctx;
    const t = workload(target);
    if (tools.argocdRollback) {
      const application = await argocdApplicationOf(t, await mustDeployment(t));
      if (application) return { ...(await tools.argocdRollback.execute({ application })) };
    }
    const toRevision = typeof p.toRevision === "number" ? { toRevision: p.toRevision } : {};
    return {
      ...(await tools.rollback.execute({
        namespace: t.namespace,
        deployment: await mustDeployment(t),
        ...toRevision,
      })),
    };
  },
};

/** Pin the Service to the healthy version (`params.to`, else the first healthy one seen). */
export const rerouteTraffic: KubeAction = {
  id: "reroute_traffic",
  async run(ctx, target, p) {
    const { tools, workload, trafficOf, observeVersions } = ctx;
    const t = workload(target);
    const tr = await trafficOf(t);
    if (!tr) throw new AegisError("action_failed", `the policy names no traffic settings for ${t.key}`);
    const to = typeof p.to === "string" ? p.to : (await observeVersions(tr)).healthy[0]?.version;
    if (!to)
      throw new AegisError(
        "action_failed",
        `no healthy version behind Service ${tr.namespace}/${tr.service}`,
      );
    return {
      ...(await tools.reroute.execute({
        namespace: tr.namespace,
        service: tr.service,
        versionLabel: tr.versionLabel,
        to,
      })),
    };
  },
};
