import type { KubeAction, KubeUndo } from "./action.ts";
import { AegisError } from "../../../../core/errors.ts";
import { mergePatch } from "../../../../tools/kubernetes/kubeErrors.ts";
import { LIMIT_RPS } from "../../../../tools/kubernetes/rateLimitTraffic.ts";
import { readRollout } from "../../../../tools/kubernetes/rolloutHistory.ts";

/** Back to the replica count the action's result recorded before it changed it. */
const scaleBack: KubeUndo = {
  kind: "revert",
  automatic: true,
  async run(ctx, record, target) {
    const previous = record.result?.previousReplicas;
    if (typeof previous !== "number")
      return { rolledBack: false, detail: `${record.action} recorded no previous replica count` };
    const t = ctx.workload(target);
    const deployment =
      typeof record.result?.deployment === "string" ? record.result.deployment : await ctx.mustDeployment(t);
    await ctx.tools.scale.execute({ namespace: t.namespace, deployment, replicas: previous });
    return { rolledBack: true, detail: `scaled back to ${previous} replica(s)` };
  },
};

/** Set the replica count: `params.replicas`, else half again (at least two more). */
export const scaleDeployment: KubeAction = {
  id: "scale_deployment",
  symptom: "capacity_saturated",
  undo: scaleBack,
  async precheck(ctx, target, p) {
    if (p.replicas === undefined) return undefined;
    const t = ctx.workload(target);
    const deployment = await ctx.mustDeployment(t);
    const current = (await readRollout(ctx.kube, t.namespace, deployment)).replicas;
    return current === p.replicas
      ? `deployment ${t.namespace}/${deployment} already wants ${current} replica(s)`
      : undefined;
  },
  async run(ctx, target, p) {
    const { kube, tools, workload, mustDeployment } = ctx;
    const t = workload(target);
    const deployment = await mustDeployment(t);
    const current = (await readRollout(kube, t.namespace, deployment)).replicas;
    // Half again, at least two more: one extra replica rarely catches up with a backlog or a surge.
    const replicas = Number(p.replicas ?? Math.max(current + 2, Math.ceil(current * 1.5)));
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw new AegisError("action_failed", "scale_deployment needs params.replicas (a whole number ≥ 1)");
    }
    return { ...(await tools.scale.execute({ namespace: t.namespace, deployment, replicas })) };
  },
};

/** Raise the HPA's maxReplicas (`params.maxReplicas`, else half again). */
export const raiseHpaLimits: KubeAction = {
  id: "raise_hpa_limits",
  symptom: "capacity_saturated",
  undo: {
    kind: "revert",
    automatic: true,
    async run(ctx, record, target) {
      const r = record.result;
      if (typeof r?.previousMax !== "number" || typeof r.hpa !== "string")
        return { rolledBack: false, detail: "raise_hpa_limits recorded no previous bounds" };
      // Lowering is refused by the raise tool on purpose; the undo patches the old bounds back directly.
      await ctx.kube.autoscaling.patchNamespacedHorizontalPodAutoscaler(
        {
          name: r.hpa,
          namespace: ctx.workload(target).namespace,
          body: { spec: { maxReplicas: r.previousMax, minReplicas: r.previousMin } },
        },
        mergePatch,
      );
      return { rolledBack: true, detail: `HPA back to ${String(r.previousMin)}–${r.previousMax}` };
    },
  },
  async run(ctx, target, p) {
    const { tools, workload, mustDeployment } = ctx;
    const t = workload(target);
    const deployment = await mustDeployment(t);
    const { hpas } = await tools.hpas.execute({ namespace: t.namespace, target: deployment });
    const hpa = hpas[0];
    if (!hpa) throw new AegisError("action_failed", `no HPA scales deployment ${t.namespace}/${deployment}`);
    const maxReplicas = Number(p.maxReplicas ?? Math.ceil(hpa.maxReplicas * 1.5));
    const minReplicas = typeof p.minReplicas === "number" ? { minReplicas: p.minReplicas } : {};
    return {
      ...(await tools.raiseHpa.execute({
        namespace: t.namespace,
        hpa: hpa.name,
        maxReplicas,
        ...minReplicas,
      })),
    };
  },
};

/** More consumers for the group, up to the topic's partitions (the policy's kafka settings). */
export const addKafkaConsumers: KubeAction = {
  id: "add_kafka_consumers",
  undo: scaleBack,
  async run(ctx, target, p) {
    const { tools, workload, mustDeployment, mustSettings } = ctx;
    const t = workload(target);
    const { value: kafka } = mustSettings(t, "kafka");
    const consumers = typeof p.consumers === "number" ? { consumers: p.consumers } : {};
    return {
      ...(await tools.addConsumers.execute({
        namespace: t.namespace,
        deployment: kafka.consumerDeployment ?? (await mustDeployment(t)),
        partitions: kafka.partitions,
        ...consumers,
      })),
    };
  },
};

/** Per-client rate limit on the Ingress in front of the service (the policy's ingress settings). */
export const rateLimitTraffic: KubeAction = {
  id: "rate_limit_traffic",
  symptom: "upstream_throttled",
  undo: {
    kind: "revert",
    automatic: true,
    async run(ctx, record, target) {
      if (!record.result || !("previous" in record.result))
        return { rolledBack: false, detail: "rate_limit_traffic recorded no previous limit" };
      const t = ctx.workload(target);
      const { value: ing } = ctx.mustSettings(t, "ingress");
      const previous = typeof record.result.previous === "string" ? record.result.previous : null;
      // A merge patch with null removes the annotation: no limit, as before.
      await ctx.kube.networking.patchNamespacedIngress(
        {
          name: ing.name,
          namespace: ing.namespace ?? t.namespace,
          body: { metadata: { annotations: { [LIMIT_RPS]: previous } } },
        },
        mergePatch,
      );
      return { rolledBack: true, detail: `limit-rps back to ${previous ?? "unset"}` };
    },
  },
  async run(ctx, target, _p) {
    const { tools, workload, mustSettings } = ctx;
    const t = workload(target);
    const { value: ing } = mustSettings(t, "ingress");
    return {
      ...(await tools.rateLimit.execute({
        namespace: ing.namespace ?? t.namespace,
        ingress: ing.name,
        limitRps: ing.limitRps,
      })),
    };
  },
};
