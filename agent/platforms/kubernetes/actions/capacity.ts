import type { KubeAction } from "./action.ts";
import { AegisError } from "../../../../core/errors.ts";
import { readRollout } from "../../../../tools/kubernetes/rolloutHistory.ts";

/** Set the replica count: `params.replicas`, else half again (at least two more). */
export const scaleDeployment: KubeAction = {
  id: "scale_deployment",
  symptom: "capacity_saturated",
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
