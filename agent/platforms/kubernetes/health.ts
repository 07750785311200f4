import type { Target, Verification } from "../../../core/types.ts";
import type { KubeClients } from "../../../tools/kubernetes/client.ts";
import type { createListPodsTool, PodSnapshot } from "../../../tools/kubernetes/listPods.ts";
import { readRollout, type DeploymentSnapshot } from "../../../tools/kubernetes/rolloutHistory.ts";
import type { Policy } from "../../policy/schema.ts";
import { workloadSignals, type WorkloadObservations } from "./signals.ts";

type Workload = Extract<Target, { kind: "k8s_workload" }>;
type Check = Verification["evidence"][number];
type DatabaseSettings = NonNullable<Policy["services"][string]["database"]>;

/** Log lines that count as "since the action" when a log carries no timestamps. */
const RECENT_LINES = 5;
const FAILING_WAIT = new Set(["CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError"]);

/** What the health checks read through. */
export interface HealthDeps {
  kube: KubeClients;
  listPods: ReturnType<typeof createListPodsTool>;
  deploymentOf(t: Workload): Promise<string | null>;
  observe(t: Workload): Promise<{ obs: WorkloadObservations; errors: string[] }>;
  mustDatabase(t: Workload): DatabaseSettings;
}

/** Fresh-evidence checks of a Kubernetes workload after an action (verification). */
export function createHealthChecks(deps: HealthDeps) {
  const { kube } = deps;
  const tools = { pods: deps.listPods };
  const { deploymentOf, observe } = deps;

  /** The newest log lines of the serving pods no longer report upstream 429s (the log has no timestamps to filter by). */
  async function recentLogsClean(t: Workload, symptom: string): Promise<Check> {
    const { obs } = await observe(t);
    const still = workloadSignals({
      ...obs,
      logs: Object.fromEntries(Object.entries(obs.logs).map(([k, v]) => [k, v.slice(-RECENT_LINES)])),
    }).find((s) => s.name === symptom);
    return {
      check: `${symptom}_stopped`,
      ok: !still && Object.keys(obs.logs).length > 0,
      detail: still
        ? still.detail
        : `no ${symptom} in the last ${RECENT_LINES} log lines of ${Object.keys(obs.logs).length} pod(s)`,
    };
  }

  /** After a failover: the Service selects the secondary, and a Ready pod answers behind it. */
  async function failoverHealth(t: Workload): Promise<Verification["evidence"]> {
    const db = deps.mustDatabase(t);
    const namespace = db.namespace ?? t.namespace;
    const svc = await kube.core.readNamespacedService({ name: db.service, namespace });
    const selector = svc.spec?.selector ?? {};
    const labelSelector = Object.entries(selector)
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    const { pods } = await tools.pods.execute({ namespace, labelSelector });
    const ready = pods.filter((p) => p.ready && !p.deleting);
    return [
      {
        check: "service_selects_secondary",
        ok: selector[db.selectorKey] === db.secondary,
        detail: `${db.service} selects ${labelSelector}`,
      },
      {
        check: "endpoints_ready",
        ok: ready.length > 0,
        detail: `${ready.length} Ready pod(s) behind ${db.service}`,
      },
    ];
  }

  /** After a restart: the replaced pod's object is gone, not left Terminating by a process that ignores the kill. */
  async function podGone(namespace: string, pod: string): Promise<Check> {
    const { pods } = await tools.pods.execute({ namespace });
    const left = pods.find((p) => p.name === pod);
    return {
      check: "replaced_pod_gone",
      ok: !left,
      detail: left
        ? `pod ${pod} is still ${left.deleting ? "Terminating" : "there"}`
        : `pod ${pod} no longer exists`,
    };
  }

  async function workloadHealth(t: Workload): Promise<Verification["evidence"]> {
    const out: Verification["evidence"] = [];
    const deployment = await deploymentOf(t).catch(() => null);
    let d: DeploymentSnapshot | undefined;
    let pods: PodSnapshot[];
    if (deployment) {
      d = await readRollout(kube, t.namespace, deployment);
      pods = (await tools.pods.execute({ namespace: t.namespace, labelSelector: d.selector })).pods;
      const done =
        d.observedGeneration >= d.generation &&
        d.updatedReplicas === d.replicas &&
        d.availableReplicas >= d.replicas &&
        d.readyReplicas >= d.replicas;
      out.push({
        check: "rollout_complete",
        ok: done,
        detail: `revision ${d.revision}: ${d.updatedReplicas} updated, ${d.availableReplicas} available of ${d.replicas}`,
      });
    } else {
      pods = (await tools.pods.execute({ namespace: t.namespace })).pods.filter((p) => p.name === t.name);
    }
    const current = d?.revisions.find((r) => r.revision === d.revision)?.templateHash;
    const live = pods.filter((p) => !p.deleting && (current == null || p.templateHash === current));
    const notReady = live.filter((p) => !p.ready);
    out.push({
      check: "pods_ready",
      ok: live.length > 0 && notReady.length === 0,
      detail:
        notReady.length === 0
          ? `${live.length} pod(s) Ready`
          : `not Ready: ${notReady.map((p) => p.name).join(", ")}`,
    });
    const failing = live.filter((p) =>
      p.containers.some(
        (c) => FAILING_WAIT.has(c.waiting?.reason ?? "") || c.lastTerminated?.reason === "OOMKilled",
      ),
    );
    out.push({
      check: "no_crashes",
      ok: failing.length === 0,
      detail:
        failing.length === 0
          ? "no container waiting on a crash or OOM-killed"
          : `failing: ${failing.map((p) => p.name).join(", ")}`,
    });
    return out;
  }

  return { recentLogsClean, failoverHealth, workloadHealth, podGone };
}
