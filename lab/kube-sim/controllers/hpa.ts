import { rfc3339 } from "../clock.ts";
import { cpuUtilization } from "../load.ts";
import { selectorMatches } from "../http/selectors.ts";
import type { Deployment, HorizontalPodAutoscaler, Pod } from "../types.ts";
import type { SimContext } from "./context.ts";
import { R, isActive, save } from "./context.ts";

const TOLERANCE = 0.1;

/** The HPA controller (autoscaling/v2, CPU utilization): scales the target within min/max every sync period. */
export function reconcileHpas(ctx: SimContext): void {
  const now = ctx.clock.now();
  for (const o of ctx.store.view(R.hpas)) {
    const hpa = o as HorizontalPodAutoscaler;
    const key = hpa.metadata.uid!;
    const changedSpec = hpa.status?.observedGeneration !== hpa.metadata.generation;
    const mem = ctx.world.hpa.get(key) ?? { lastSync: 0, recommendations: [] };
    ctx.world.hpa.set(key, mem);
    if (!changedSpec && now - mem.lastSync < ctx.timings.hpaSyncMs) continue;
    mem.lastSync = now;
    const ref = hpa.spec.scaleTargetRef;
    const target =
      ref.kind === "Deployment"
        ? (ctx.store.peek(R.deployments, hpa.metadata.namespace, ref.name) as Deployment | undefined)
        : undefined;
    const t = rfc3339(now);
    if (!target) {
      writeStatus(ctx, hpa, {
        currentReplicas: 0,
        desiredReplicas: 0,
        conditions: [
          cond(
            "AbleToScale",
            "False",
            "FailedGetScale",
            `the HPA controller was unable to get the target's current scale: deployments/${ref.name} not found`,
            t,
          ),
        ],
      });
      continue;
    }
    const current = target.spec.replicas ?? 1;
    const min = hpa.spec.minReplicas ?? 1;
    const max = hpa.spec.maxReplicas;
    const metric = hpa.spec.metrics?.find((m) => m.type === "Resource" && m.resource?.name === "cpu");
    const targetUtil = metric?.resource?.target.averageUtilization ?? 80;
    // Within min..max the real controller computes from the metrics (out of range it clamps first).
    const missing =
      current > 0 && current >= min && current <= max ? missingCpuRequest(ctx, target) : undefined;
    if (missing) {
      // The real controller cannot compute utilization as a percentage of a request that is not set.
      const err = `failed to get cpu utilization: missing request for cpu in container ${missing.container} of Pod ${missing.pod}`;
      ctx.events.record(hpa, "Warning", "FailedGetResourceMetric", err, "horizontal-pod-autoscaler");
      ctx.events.record(
        hpa,
        "Warning",
        "FailedComputeMetricsReplicas",
        `invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: ${err}`,
        "horizontal-pod-autoscaler",
      );
      writeStatus(ctx, hpa, {
        currentReplicas: current,
        desiredReplicas: hpa.status?.desiredReplicas ?? current,
        ...(hpa.status?.lastScaleTime ? { lastScaleTime: hpa.status.lastScaleTime } : {}),
        currentMetrics: [],
        conditions: [
          cond(
            "AbleToScale",
            "True",
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale",
            t,
          ),
          cond(
            "ScalingActive",
            "False",
            "FailedGetResourceMetric",
            `the HPA was unable to compute the replica count: ${err}`,
            t,
          ),
        ],
      });
      continue;
    }
    const util = cpuUtilization(ctx, target);
    let raw = current;
    if (util !== undefined && Math.abs(util / targetUtil - 1) > TOLERANCE)
      raw = Math.ceil((current * util) / targetUtil);
    if (current === 0) raw = 0;
    const history = mem.recommendations.filter((r) => now - r.at <= ctx.timings.hpaDownscaleWindowMs);
    history.push({ at: now, n: raw });
    mem.recommendations = history;
    // Scale-down stabilization: the highest recommendation of the window wins.
    const stabilized = raw < current ? Math.min(current, Math.max(...history.map((h) => h.n))) : raw;
    const desired = current === 0 ? 0 : Math.min(max, Math.max(min, stabilized));
    const limited = stabilized > max ? "TooManyReplicas" : stabilized < min ? "TooFewReplicas" : undefined;
    let lastScaleTime = hpa.status?.lastScaleTime;
    if (desired !== current) {
      save(ctx, R.deployments, { ...target, spec: { ...target.spec, replicas: desired } });
      lastScaleTime = t;
      ctx.events.record(
        hpa,
        "Normal",
        "SuccessfulRescale",
        `New size: ${desired}; reason: ${desired > current ? "cpu resource utilization (percentage of request) above target" : "All metrics below target"}`,
        "horizontal-pod-autoscaler",
      );
    }
    writeStatus(ctx, hpa, {
      currentReplicas: current,
      desiredReplicas: desired,
      ...(lastScaleTime ? { lastScaleTime } : {}),
      currentMetrics:
        util === undefined
          ? []
          : [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: util } } }],
      conditions: [
        cond("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size", t),
        util === undefined
          ? cond(
              "ScalingActive",
              "False",
              "FailedGetResourceMetric",
              "the HPA was unable to compute the replica count: no ready pods",
              t,
            )
          : cond(
              "ScalingActive",
              "True",
              "ValidMetricFound",
              "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)",
              t,
            ),
        limited
          ? cond(
              "ScalingLimited",
              "True",
              limited,
              `the desired replica count is ${limited === "TooManyReplicas" ? "more than the maximum" : "less than the minimum"} replica count`,
              t,
            )
          : cond(
              "ScalingLimited",
              "False",
              "DesiredWithinRange",
              "the desired count is within the acceptable range",
              t,
            ),
      ],
    });
  }
}

/** The first running pod of the target with a container that requests no CPU (utilization is % of request). */
function missingCpuRequest(ctx: SimContext, d: Deployment): { pod: string; container: string } | undefined {
  const pods = (ctx.store.view(R.pods, d.metadata.namespace) as readonly Pod[]).filter(
    (p) =>
      isActive(p) && p.status?.phase === "Running" && selectorMatches(d.spec.selector, p.metadata.labels),
  );
  for (const p of pods) {
    const c = p.spec.containers.find((x) => x.resources?.requests?.cpu === undefined);
    if (c) return { pod: p.metadata.name, container: c.name };
  }
  return undefined;
}

function cond(type: string, status: "True" | "False", reason: string, message: string, t: string) {
  return { type, status, reason, message, lastTransitionTime: t };
}

function writeStatus(
  ctx: SimContext,
  hpa: HorizontalPodAutoscaler,
  status: NonNullable<HorizontalPodAutoscaler["status"]>,
): void {
  const prev = hpa.status?.conditions ?? [];
  status.conditions = status.conditions?.map((c) => {
    const old = prev.find((p) => p.type === c.type);
    return old && old.status === c.status ? { ...c, lastTransitionTime: old.lastTransitionTime } : c;
  });
  status.observedGeneration = hpa.metadata.generation;
  if (JSON.stringify(status) !== JSON.stringify(hpa.status)) save(ctx, R.hpas, { ...hpa, status });
}
