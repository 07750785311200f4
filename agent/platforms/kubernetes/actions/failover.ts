import type { KubeAction } from "./action.ts";
import { AegisError } from "../../../../core/errors.ts";
import { mergePatch } from "../../../../tools/kubernetes/kubeErrors.ts";
import { podsToDrain } from "../../../../tools/kubernetes/cordonDrainNode.ts";
import { readNode } from "../../../../tools/kubernetes/nodeStatus.ts";

/** Point the database's Service at its secondary (the policy's database settings). */
export const failoverDatabase: KubeAction = {
  id: "failover_database",
  undo: {
    kind: "revert",
    automatic: true,
    async run(ctx, record, target) {
      const from = record.result?.from;
      if (typeof from !== "string")
        return { rolledBack: false, detail: "failover_database recorded no previous selector value" };
      const t = ctx.workload(target);
      const { value: db } = ctx.mustSettings(t, "database");
      await ctx.kube.core.patchNamespacedService(
        {
          name: db.service,
          namespace: db.namespace ?? t.namespace,
          body: { spec: { selector: { [db.selectorKey]: from } } },
        },
        mergePatch,
      );
      return { rolledBack: true, detail: `selector ${db.selectorKey} back to ${from}` };
    },
  },
  async run(ctx, target, _p) {
    const { tools, workload, mustSettings } = ctx;
    const t = workload(target);
    const { value: db } = mustSettings(t, "database");
    return {
      ...(await tools.failover.execute({
        namespace: db.namespace ?? t.namespace,
        service: db.service,
        selectorKey: db.selectorKey,
        to: db.secondary,
      })),
    };
  },
};

/** Start the standby region and move the traffic weights to it (the policy's failover settings). */
export const failoverRegion: KubeAction = {
  id: "failover_region",
  undo: {
    kind: "revert",
    automatic: true,
    async run(ctx, record, target) {
      if (!record.result)
        return { rolledBack: false, detail: "failover_region recorded no previous weights" };
      const t = ctx.workload(target);
      return ctx.regions.rollback(t, ctx.mustSettings(t, "failover").value, record.result);
    },
  },
  async run(ctx, target, _p) {
    const { workload, mustSettings, regions } = ctx;
    const t = workload(target);
    const { value } = mustSettings(t, "failover");
    return { ...(await regions.execute(t, value)) };
  },
};

/** Call the policy's drain hook for the queue (its token from the environment the policy names). */
export const drainQueue: KubeAction = {
  id: "drain_queue",
  undo: { kind: "none", why: "messages a drain hook consumed cannot be put back on the queue" },
  async run(ctx, target, _p) {
    const { tools, opts, workload, settingsFor } = ctx;
    const t = workload(target);
    const found = settingsFor(t);
    const hook = found?.settings.queue?.drainHook;
    if (!found || !hook) throw new AegisError("action_failed", `the policy names no drain hook for ${t.key}`);
    const token = hook.tokenEnv ? opts.secret?.(hook.tokenEnv) : undefined;
    if (hook.tokenEnv && !token)
      throw new AegisError(
        "action_failed",
        `environment variable ${hook.tokenEnv} (the drain hook's token) is not set`,
      );
    return {
      ...(await tools.drainQueue.execute({
        url: hook.url,
        method: hook.method,
        queue: found.settings.queue?.name ?? found.name,
        service: found.name,
        ...(token ? { token } : {}),
      })),
    };
  },
};

/** Cordon the node and evict its workload pods (disruption budgets respected). */
export const cordonDrainNode: KubeAction = {
  id: "cordon_drain_node",
  undo: {
    kind: "revert",
    // Making a broken node schedulable again sends new pods onto it: only a person asks for it.
    automatic: false,
    async run(ctx, record, target) {
      const name = typeof record.result?.node === "string" ? record.result.node : ctx.nodeName(target);
      const node = await readNode(ctx.kube, name);
      if (!node.unschedulable) return { rolledBack: false, detail: `node ${name} is already schedulable` };
      await ctx.kube.core.patchNode({ name, body: { spec: { unschedulable: false } } }, mergePatch);
      // Evicted pods were replaced elsewhere by their controllers; the scheduler may place new ones here again.
      return {
        rolledBack: true,
        detail: `node ${name} uncordoned (evicted pods stay where they were rescheduled)`,
      };
    },
  },
  async precheck(ctx, target) {
    const node = await readNode(ctx.kube, ctx.nodeName(target));
    return node.unschedulable && podsToDrain(node.pods).length === 0
      ? `node ${node.name} is already cordoned and has no pods a drain would move`
      : undefined;
  },
  async run(ctx, target, _p) {
    const { tools, nodeName } = ctx;
    return { ...(await tools.drain.execute({ node: nodeName(target) })) };
  },
};
