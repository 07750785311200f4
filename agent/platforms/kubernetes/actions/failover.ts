import type { KubeAction } from "./action.ts";
import { AegisError } from "../../../../core/errors.ts";
import { podsToDrain } from "../../../../tools/kubernetes/cordonDrainNode.ts";
import { readNode } from "../../../../tools/kubernetes/nodeStatus.ts";

/** Point the database's Service at its secondary (the policy's database settings). */
export const failoverDatabase: KubeAction = {
  id: "failover_database",
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
