import type { Clock } from "../../../core/clock.ts";
import type { Signal, Target, Verification } from "../../../core/types.ts";
import { AegisError } from "../../../core/errors.ts";
import type { KubeClients } from "../../../tools/kubernetes/client.ts";
import { createFailoverRegionTool } from "../../../tools/kubernetes/failoverRegion.ts";
import { mergePatch } from "../../../tools/kubernetes/kubeErrors.ts";
import type { PodSnapshot } from "../../../tools/kubernetes/listPods.ts";
import { readRollout } from "../../../tools/kubernetes/rolloutHistory.ts";
import { signal } from "../../signals.ts";
import type { Policy } from "../../policy/schema.ts";

type Workload = Extract<Target, { kind: "k8s_workload" }>;
type Failover = NonNullable<Policy["services"][string]["failover"]>;

/** Share of a region's nodes Ready, from its own API server. */
async function nodeHealth(kube: KubeClients): Promise<{ ready: number; total: number }> {
  const nodes = (await kube.core.listNode()).items;
  const ready = nodes.filter((n) =>
    n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
  ).length;
  return { ready, total: nodes.length };
}

/** Failover across regions: one platform's view of the others (their clients by cluster name). */
export function createRegionFailover(deps: {
  kube: KubeClients;
  /** This platform's own region. */
  region: string | undefined;
  clusters: Record<string, KubeClients>;
  clock?: Clock | undefined;
}) {
  const regionOf = (t: Workload) => t.cluster ?? deps.region;
  const clientsOf = (name: string): KubeClients => {
    const c = deps.clusters[name];
    if (!c) throw new AegisError("action_failed", `cluster ${name} is not in the policy's clusters`);
    return c;
  };
  const standbyOf = (t: Workload, f: Failover) => ({
    cluster: f.standby.cluster,
    namespace: f.standby.namespace ?? t.namespace,
    deployment: f.standby.deployment ?? t.name,
  });

  /** `region_down` (most nodes NotReady, or every pod of the target down) and `standby_region_healthy`. */
  async function signals(t: Workload, f: Failover, pods: PodSnapshot[]): Promise<Signal[]> {
    const region = regionOf(t);
    if (!region || region === f.standby.cluster) return [];
    const out: Signal[] = [];
    const own = await nodeHealth(deps.kube);
    const live = pods.filter((p) => !p.deleting);
    if (own.total > 0 && (own.total - own.ready) * 2 > own.total) {
      out.push(
        signal("region_down", region, `${own.total - own.ready} of ${own.total} nodes NotReady in ${region}`),
      );
    } else if (live.length > 0 && live.every((p) => !p.ready)) {
      out.push(signal("region_down", region, `every pod of ${t.name} (${live.length}) is down in ${region}`));
    }
    if (out.length === 0) return out;
    const s = standbyOf(t, f);
    try {
      const standby = clientsOf(s.cluster);
      const nodes = await nodeHealth(standby);
      await standby.apps.readNamespacedDeployment({ name: s.deployment, namespace: s.namespace });
      if (nodes.total > 0 && nodes.ready * 2 > nodes.total) {
        out.push(
          signal(
            "standby_region_healthy",
            s.cluster,
            `${nodes.ready} of ${nodes.total} nodes Ready in ${s.cluster}; standby ${s.namespace}/${s.deployment} exists`,
          ),
        );
      }
    } catch {
      // An unreachable or incomplete standby is not healthy: no signal, the planner escalates.
    }
    return out;
  }

  async function execute(t: Workload, f: Failover) {
    const from = regionOf(t);
    if (!from) throw new AegisError("action_failed", `${t.key} names no region to fail over from`);
    const s = standbyOf(t, f);
    const primary = await readRollout(deps.kube, t.namespace, t.name).catch(() => undefined);
    const tool = createFailoverRegionTool({
      standby: clientsOf(s.cluster),
      weights: clientsOf(f.weights.cluster ?? s.cluster),
      ...(deps.clock ? { clock: deps.clock } : {}),
    });
    return tool.execute({
      fromRegion: from,
      toRegion: s.cluster,
      standby: {
        namespace: s.namespace,
        deployment: s.deployment,
        replicas: f.standby.replicas ?? primary?.replicas ?? 1,
      },
      weights: { namespace: f.weights.namespace, configMap: f.weights.configMap },
    });
  }

  /** The traffic weights as the ConfigMap the policy names holds them now. */
  async function weightsNow(f: Failover) {
    const cm = await clientsOf(f.weights.cluster ?? f.standby.cluster).core.readNamespacedConfigMap({
      name: f.weights.configMap,
      namespace: f.weights.namespace,
    });
    return cm.data ?? {};
  }

  /** After a failover: the standby serves (rollout available) and the weights send traffic to it. */
  async function health(t: Workload, f: Failover): Promise<Verification["evidence"]> {
    const s = standbyOf(t, f);
    const d = await readRollout(clientsOf(s.cluster), s.namespace, s.deployment);
    const w = await weightsNow(f);
    const from = regionOf(t) ?? "?";
    return [
      {
        check: "standby_available",
        ok: d.replicas > 0 && d.availableReplicas >= d.replicas && d.readyReplicas >= d.replicas,
        detail: `${s.cluster}: ${d.availableReplicas} of ${d.replicas} available`,
      },
      {
        check: "traffic_on_standby",
        ok: w[s.cluster] === "100" && w[from] === "0",
        detail: `weights ${JSON.stringify(w)}`,
      },
    ];
  }

  async function reconcile(t: Workload, f: Failover) {
    const w = await weightsNow(f);
    return { happened: w[f.standby.cluster] === "100", detail: `weights ${JSON.stringify(w)}` };
  }

  /** Undo: weights back as they were, the standby back to its replica count. */
  async function rollback(t: Workload, f: Failover, result: Record<string, unknown>) {
    const s = standbyOf(t, f);
    const previous = result.previousWeights as Record<string, string> | undefined;
    if (!previous) return { rolledBack: false, detail: "no previous weights recorded" };
    await clientsOf(f.weights.cluster ?? s.cluster).core.patchNamespacedConfigMap(
      { name: f.weights.configMap, namespace: f.weights.namespace, body: { data: previous } },
      mergePatch,
    );
    if (typeof result.previousReplicas === "number") {
      await clientsOf(s.cluster).apps.patchNamespacedDeploymentScale(
        { name: s.deployment, namespace: s.namespace, body: { spec: { replicas: result.previousReplicas } } },
        mergePatch,
      );
    }
    return { rolledBack: true, detail: `weights back to ${JSON.stringify(previous)}` };
  }

  return { signals, execute, health, reconcile, rollback, weightsNow };
}
