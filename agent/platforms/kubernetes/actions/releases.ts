import type { KubeAction } from "./action.ts";
import { AegisError } from "../../../../core/errors.ts";
import { mergePatch } from "../../../../tools/kubernetes/kubeErrors.ts";
import { readRollout } from "../../../../tools/kubernetes/rolloutHistory.ts";

/** Back to the previous revision: through Argo CD when it manages the Deployment, else natively. */
export const rollbackDeployment: KubeAction = {
  id: "rollback_deployment",
  undo: {
    kind: "revert",
    // Rolling forward onto the release that just failed restores the harm: only a person asks for it.
    automatic: false,
    async run(ctx, record, target) {
      const from = record.result?.fromRevision;
      if (typeof from !== "number")
        return {
          rolledBack: false,
          detail:
            typeof record.result?.application === "string"
              ? `rolled back through Argo CD application ${record.result.application}: undo it there (sync to the newer revision)`
              : "rollback_deployment recorded no revision it left",
        };
      const t = ctx.workload(target);
      const deployment =
        typeof record.result?.deployment === "string"
          ? record.result.deployment
          : await ctx.mustDeployment(t);
      const r = await readRollout(ctx.kube, t.namespace, deployment);
      if (!r.revisions.some((x) => x.revision === from))
        return {
          rolledBack: false,
          detail: `deployment ${t.namespace}/${deployment} no longer keeps revision ${from} (it keeps ${r.revisions.map((x) => x.revision).join(", ")})`,
        };
      if (r.revision === from)
        return {
          rolledBack: false,
          detail: `deployment ${t.namespace}/${deployment} already runs revision ${from}`,
        };
      const back = await ctx.tools.rollback.execute({ namespace: t.namespace, deployment, toRevision: from });
      return {
        rolledBack: true,
        detail: `rolled forward to the release it left (revision ${from}, ReplicaSet ${back.toReplicaSet})`,
      };
    },
  },
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
  undo: {
    kind: "revert",
    automatic: true,
    async run(ctx, record) {
      const r = record.result;
      if (!r?.previousSelector)
        return { rolledBack: false, detail: "reroute_traffic recorded no previous selector" };
      const previous = r.previousSelector as Record<string, string>;
      const now = (r.selector ?? {}) as Record<string, string>;
      // A merge patch removes a key set to null: keys the reroute added go, the old values come back.
      const selector: Record<string, string | null> = { ...previous };
      for (const k of Object.keys(now)) if (!(k in previous)) selector[k] = null;
      await ctx.kube.core.patchNamespacedService(
        { name: String(r.service), namespace: String(r.namespace), body: { spec: { selector } } },
        mergePatch,
      );
      return { rolledBack: true, detail: `Service ${String(r.service)} selects all versions again` };
    },
  },
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
