import type { ActionRecord, Target } from "../../../core/types.ts";
import type { KubeClients } from "../../../tools/kubernetes/client.ts";
import type { createHpaTool } from "../../../tools/kubernetes/hpa.ts";
import { readNode } from "../../../tools/kubernetes/nodeStatus.ts";
import { readRollout } from "../../../tools/kubernetes/rolloutHistory.ts";
import { RESTARTED_AT } from "../../../tools/kubernetes/rolloutRestart.ts";
import type { Policy } from "../../policy/schema.ts";
import type { WorkloadObservations } from "./signals.ts";

type Workload = Extract<Target, { kind: "k8s_workload" }>;
type ServiceSettings = Policy["services"][string];

/** What reconcile reads through. */
export interface ReconcileDeps {
  kube: KubeClients;
  hpas: ReturnType<typeof createHpaTool>;
  workload(t: Target): Workload;
  nodeName(t: Target): string;
  observe(t: Workload): Promise<{ obs: WorkloadObservations; errors: string[] }>;
  mustDeployment(t: Workload): Promise<string>;
  mustSettings<K extends "kafka" | "database" | "ingress">(
    t: Workload,
    key: K,
  ): { name: string; value: NonNullable<ServiceSettings[K]> };
  /** The traffic settings (Service, version label) that apply to a workload. */
  trafficOf(
    t: Workload,
  ): Promise<(NonNullable<ServiceSettings["traffic"]> & { namespace: string }) | undefined>;
}

/**
 * After a crash, did a recorded action reach the cluster? (Each action's undo lives on its action object, in
 * actions/.)
 */
export function createReconcile(deps: ReconcileDeps) {
  const { kube, workload, nodeName, observe, mustDeployment, mustSettings } = deps;
  const tools = { hpas: deps.hpas };

  async function reconcile(record: ActionRecord, target: Target) {
    const since = Date.parse(record.requestedAt);
    if (record.action === "cordon_drain_node") {
      const node = await readNode(kube, nodeName(target));
      return {
        happened: node.unschedulable,
        detail: node.unschedulable ? "node is cordoned" : "node is schedulable",
      };
    }
    const t = workload(target);
    if (record.action === "restart_pod") {
      const { obs } = await observe(t);
      const pod =
        typeof record.params.pod === "string"
          ? record.params.pod
          : typeof record.result?.pod === "string"
            ? record.result.pod
            : null;
      const gone = pod !== null && !obs.pods.some((p) => p.name === pod && !p.deleting);
      const fresh = obs.pods.some((p) => p.createdAt !== null && Date.parse(p.createdAt) >= since);
      return {
        happened: gone || fresh,
        detail: gone
          ? `pod ${pod} is gone`
          : fresh
            ? "a pod was created after the intent"
            : "no pod replaced since the intent",
      };
    }
    if (record.action === "failover_database") {
      const { value: db } = mustSettings(t, "database");
      const svc = await kube.core.readNamespacedService({
        name: db.service,
        namespace: db.namespace ?? t.namespace,
      });
      const now = svc.spec?.selector?.[db.selectorKey];
      return { happened: now === db.secondary, detail: `selector ${db.selectorKey}=${now ?? "unset"}` };
    }
    if (record.action === "drain_queue") {
      // Whether the hook got the call cannot be read back; sending it again could drain twice.
      return { happened: true, detail: "a drain may have reached the hook; not sending it twice" };
    }
    if (record.action === "reroute_traffic") {
      const tr = await deps.trafficOf(t);
      if (!tr) return { happened: false, detail: "no traffic settings" };
      const svc = await kube.core.readNamespacedService({ name: tr.service, namespace: tr.namespace });
      const now = svc.spec?.selector?.[tr.versionLabel];
      return { happened: now !== undefined, detail: `selector ${tr.versionLabel}=${now ?? "unset"}` };
    }
    if (record.action === "rate_limit_traffic") {
      const { value: ing } = mustSettings(t, "ingress");
      const i = await kube.networking.readNamespacedIngress({
        name: ing.name,
        namespace: ing.namespace ?? t.namespace,
      });
      const now = i.metadata?.annotations?.["nginx.ingress.kubernetes.io/limit-rps"];
      return { happened: now === String(ing.limitRps), detail: `limit-rps ${now ?? "unset"}` };
    }
    const d = await readRollout(kube, t.namespace, await mustDeployment(t));
    switch (record.action) {
      case "add_kafka_consumers": {
        const wanted = Number(record.result?.replicas ?? mustSettings(t, "kafka").value.partitions);
        return { happened: d.replicas >= wanted, detail: `${d.replicas} consumer replica(s) wanted` };
      }
      case "rollout_restart": {
        const at = d.revisions[0]?.template.metadata?.annotations?.[RESTARTED_AT];
        const happened = at !== undefined && Date.parse(at) >= since;
        return { happened, detail: `restartedAt ${at ?? "unset"}` };
      }
      case "rollback_deployment": {
        // A rollback brings an older ReplicaSet back as the newest revision, so the current revision is no longer
        // the most recently created ReplicaSet. Compared among the cluster's own timestamps: no clock skew.
        const current = d.revisions.find((r) => r.revision === d.revision);
        const born = (c: string | null | undefined) => (c ? Date.parse(c) : 0);
        const newestBorn = Math.max(0, ...d.revisions.map((r) => born(r.createdAt)));
        const from = typeof record.result?.fromRevision === "number" ? record.result.fromRevision : null;
        const reused = current !== undefined && born(current.createdAt) < newestBorn;
        const happened = reused && (from === null || d.revision > from);
        return {
          happened,
          detail: `current revision ${d.revision} (ReplicaSet ${current?.name ?? "?"}, created ${current?.createdAt ?? "?"})`,
        };
      }
      case "scale_deployment": {
        const wanted = Number(record.params.replicas ?? record.result?.replicas ?? 0);
        return { happened: wanted > 0 && d.replicas === wanted, detail: `${d.replicas} replica(s) wanted` };
      }
      case "raise_hpa_limits": {
        const { hpas } = await tools.hpas.execute({ namespace: t.namespace, target: d.name });
        const wanted = Number(record.result?.maxReplicas ?? record.params.maxReplicas ?? 0);
        const max = hpas[0]?.maxReplicas ?? 0;
        return { happened: wanted > 0 && max >= wanted, detail: `HPA max ${max}` };
      }
      default:
        return { happened: false, detail: `${record.action} is not a Kubernetes action` };
    }
  }

  return reconcile;
}
