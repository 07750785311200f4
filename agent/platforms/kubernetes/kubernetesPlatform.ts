import type { Clock } from "../../../core/clock.ts";
import type { ActionId } from "../../../core/catalog.ts";
import { AegisError, describeError } from "../../../core/errors.ts";
import type { ActionRecord, Decision, Evidence, Target, Verification } from "../../../core/types.ts";
import type { KubeClients } from "../../../tools/kubernetes/client.ts";
import { podsToDrain } from "../../../tools/kubernetes/cordonDrainNode.ts";
import { kubeStatus } from "../../../tools/kubernetes/kubeErrors.ts";
import { podSnapshot, type PodSnapshot } from "../../../tools/kubernetes/listPods.ts";
import { readNode } from "../../../tools/kubernetes/nodeStatus.ts";
import { readRollout } from "../../../tools/kubernetes/rolloutHistory.ts";
import { createPrometheusQueryTool } from "../../../tools/prometheus/instantQuery.ts";
import { createPrometheusRangeQueryTool } from "../../../tools/prometheus/rangeQuery.ts";
import type { Tool } from "../../../tools/tool.ts";
import { signal } from "../../signals.ts";
import type { ArgocdClient } from "../../../tools/argocd/client.ts";
import type { Policy } from "../../policy/schema.ts";
import type { ActionResult, AgentClock, Located, Platform } from "../platform.ts";
import { prometheusChecks } from "../prometheusCheck.ts";
import { createHealthChecks } from "./health.ts";

import { ownNodeSignals } from "./dependencySignals.ts";
import { createReconcile } from "./reconcile.ts";
import { boundKubernetesReadTools } from "./readTools.ts";
import { pinRef } from "./locateRef.ts";
import { frozenBy, frozenOwner } from "./changeFreeze.ts";
import type { V1ObjectMeta } from "@kubernetes/client-node";
import type { ActionContext, ServiceSettings, TrafficSettings, Workload } from "./actions/action.ts";
import { KUBE_ACTIONS } from "./actions/index.ts";
import { undoAction, undoConflict } from "./actions/undo.ts";
import { createKubeTools } from "./tools.ts";
import { observeCallee as observeCalleeOf } from "./observers/callee.ts";
import { observeDatabase as observeDatabaseOf } from "./observers/database.ts";
import { observeChaos } from "./observers/chaos.ts";
import { observeClaims } from "./observers/claims.ts";
import { meshCallees } from "./observers/meshCallees.ts";
import { rolloutStatusText } from "./unsupportedKinds.ts";
import { observeDependency } from "./observers/dependency.ts";
import {
  hotPartitionSignals,
  lagTrendCheck,
  measuredLag as measuredLagOf,
  partitionLags,
} from "./observers/kafkaLag.ts";
import { observeTemplateOwner } from "./observers/podOwner.ts";
import { observeMemory as observeMemoryOf } from "./observers/memory.ts";
import {
  errorAlert,
  latencyAlert,
  observeCallees,
  observeErrors,
  observeLatency,
} from "./observers/latency.ts";
import { observeVersions as observeVersionsOf } from "./observers/versions.ts";
import { observeEgressPolicy } from "./observers/egressPolicy.ts";
import { observeServiceRouting } from "./observers/services.ts";
import { stuckPodSignals } from "./stuckPods.ts";
import { createRegionFailover } from "./regions.ts";
import { versionSignals } from "./versions.ts";
import { selectorText } from "../../../tools/kubernetes/serviceSelector.ts";
import {
  currentLine,
  consumerGroupSignals,
  nodeSignals,
  workloadSignals,
  type WorkloadObservations,
} from "./signals.ts";

export interface KubernetesPlatformOptions {
  kube: KubeClients;
  policy?: Policy;
  prometheusUrl?: string | undefined;
  /** Pause between refused evictions during a drain. */
  drainRetryMs?: number;
  /** With Argo CD configured, an Argo-managed Deployment is rolled back through Argo CD, never natively. */
  argocd?: ArgocdClient | undefined;
  /** Secrets the policy names by environment variable (a drain hook's token); from core/config. */
  secret?: (name: string) => string | undefined;
  /** This platform's cluster (region) name, and every cluster's clients, for failover_region. */
  cluster?: string | undefined;
  clusters?: Record<string, KubeClients>;
  /** The clock the actions' waits run on (a drain's retries, a replacement's scheduling); the machine's by default. */
  clock?: Clock | undefined;
}

const ACTIONS = Object.keys(KUBE_ACTIONS) as ActionId[];
/** How Argo CD marks what it manages: the instance label, or the tracking-id annotation (`app:group/kind:ns/name`). */
const ARGOCD_INSTANCE = "argocd.argoproj.io/instance";
const ARGOCD_TRACKING = "argocd.argoproj.io/tracking-id";
/** Alert labels that say the alert is about a consumer group rather than a workload. */
const GROUP_LABELS = ["consumergroup", "consumer_group", "topic"];
/** Serving pods whose logs are read when nothing crashes: enough to compare nodes, bounded in cost. */
const READ_LOG_PODS = 6;
const REAL_CLOCK: AgentClock = {
  now: Date.now,
  sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};
/** Caller-side signals that already name the service a symptom comes from. */
const NAMING: readonly string[] = [
  "callee_errors",
  "dependency_slow",
  "callee_unreachable",
  "dependency_down",
];
const FAILING_WAIT = new Set(["CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError"]);

/** Kubernetes workloads (deployments, pods) and nodes as a Platform, built from the Kubernetes tools. */
export function createKubernetesPlatform(opts: KubernetesPlatformOptions): Platform {
  const { kube } = opts;
  const protectedNs = new Set(opts.policy?.protectedNamespaces ?? ["kube-system", "aegisops"]);
  const tools = createKubeTools(opts);
  // Each evidence source reads the cluster (or Prometheus) on its own (observers/).
  const observerDeps = { kube, tools, prometheusUrl: opts.prometheusUrl, now: opts.clock?.now ?? Date.now };
  const observeVersions = (tr: TrafficSettings, tail?: number) => observeVersionsOf(observerDeps, tr, tail);
  const measuredLag = (group: string, errors: string[]) => measuredLagOf(observerDeps, group, errors);
  const observeCallee = (t: Workload, callee: string, errors: string[]) =>
    observeCalleeOf(observerDeps, t, callee, errors);
  const observeMemory = (
    t: Workload,
    obs: WorkloadObservations,
    clock: AgentClock,
    errors: string[],
    since?: number,
  ) => observeMemoryOf(observerDeps, t, obs, clock, errors, since);
  const observeDatabase = (
    t: Workload,
    db: NonNullable<ServiceSettings["database"]>,
    own: PodSnapshot[],
    errors: string[],
  ) => observeDatabaseOf(observerDeps, t, db, own, errors);

  /** The policy's settings for the service a workload target is (matched by its mapped deployment). */
  const settingsFor = (t: Workload): { name: string; settings: ServiceSettings } | undefined => {
    for (const [name, settings] of Object.entries(opts.policy?.services ?? {})) {
      const mapped = settings.target;
      const deployment = settings.kafka?.consumerDeployment ?? mapped?.deployment;
      if ((mapped?.namespace ?? t.namespace) === t.namespace && deployment === t.name)
        return { name, settings };
    }
    return undefined;
  };
  /** The policy's database whose Service is this one (a database is known by its Service, whichever instance it selects). */
  const databaseBehind = (svc: { name: string; namespace: string }) =>
    Object.values(opts.policy?.services ?? {})
      .map((s) => ({ db: s.database, ns: s.database?.namespace ?? s.target?.namespace }))
      .find(({ db, ns }) => db?.service === svc.name && (ns ?? svc.namespace) === svc.namespace)?.db;
  const mustSettings = <K extends "kafka" | "database" | "ingress" | "failover">(t: Workload, key: K) => {
    const found = settingsFor(t);
    const value = found?.settings[key];
    if (!found || !value) {
      throw new AegisError(
        "action_failed",
        `the policy names no ${key} settings for ${t.namespace}/${t.name}`,
      );
    }
    return { name: found.name, value: value as NonNullable<ServiceSettings[K]> };
  };
  // PromQL for a planner that investigates on its own: the value now, and the trend before it.
  const promTools: Tool[] = opts.prometheusUrl
    ? [
        createPrometheusQueryTool({ prometheusUrl: opts.prometheusUrl }),
        createPrometheusRangeQueryTool({ prometheusUrl: opts.prometheusUrl }),
      ]
    : [];

  const workload = (t: Target): Workload => {
    if (t.kind === "k8s_workload") return t;
    throw new AegisError("internal", `expected a Kubernetes workload, got ${t.kind}`);
  };
  const nodeName = (t: Target): string => {
    if (t.kind === "k8s_node") return t.name;
    throw new AegisError("internal", `expected a Kubernetes node, got ${t.kind}`);
  };

  /** Deployments of pod targets seen before: a pod's owner never changes, and a restarted pod is gone for good. */
  const ownerOfPod = new Map<string, string>();
  /** The deployment behind a workload target: itself, or the owner of a pod's ReplicaSet. */
  async function deploymentOf(t: Workload): Promise<string | null> {
    if (t.workload === "deployment") return t.name;
    if (t.workload !== "pod") return null;
    const known = ownerOfPod.get(t.key);
    if (known) return known;
    const found = await podDeployment(t);
    if (found) ownerOfPod.set(t.key, found);
    return found;
  }
  async function podDeployment(t: Workload): Promise<string | null> {
    const pod = podSnapshot(await kube.core.readNamespacedPod({ name: t.name, namespace: t.namespace }));
    if (pod.ownerKind !== "ReplicaSet" || !pod.ownerName) return null;
    const rs = await kube.apps.readNamespacedReplicaSet({ name: pod.ownerName, namespace: t.namespace });
    const owner = rs.metadata?.ownerReferences?.find((o) => o.kind === "Deployment");
    return owner?.name ?? null;
  }

  async function observe(t: Workload): Promise<{ obs: WorkloadObservations; errors: string[] }> {
    const errors: string[] = [];
    const guard = <T>(name: string, p: Promise<T>): Promise<T | undefined> =>
      p.catch((err: unknown) => {
        errors.push(`${name}: ${describeError(err)}`);
        return undefined;
      });
    const deployment = await guard("owner", deploymentOf(t));
    const rollout = deployment
      ? await guard("k8s_rollout_history", readRollout(kube, t.namespace, deployment))
      : undefined;
    let pods: PodSnapshot[] = [];
    if (rollout) {
      pods =
        (
          await guard(
            "k8s_list_pods",
            tools.pods.execute({ namespace: t.namespace, labelSelector: rollout.selector }),
          )
        )?.pods ?? [];
    } else if (t.workload === "pod") {
      const one = await guard("pod", kube.core.readNamespacedPod({ name: t.name, namespace: t.namespace }));
      if (one) pods = [podSnapshot(one)];
    }
    if (t.workload === "pod")
      pods = pods.filter((p) => p.name === t.name).concat(pods.filter((p) => p.name !== t.name));
    const failing = pods.filter((p) =>
      p.containers.some((c) => FAILING_WAIT.has(c.waiting?.reason ?? "") || c.restartCount > 0),
    );
    const logs: Record<string, string[]> = {};
    // Nothing crashing: the serving pods' own logs say whether they fail requests (5xx, upstream 429s).
    if (failing.length === 0) {
      for (const p of pods.filter((x) => x.ready).slice(0, READ_LOG_PODS)) {
        const container = t.container ?? p.containers[0]?.name;
        const cur = await guard(
          "k8s_pod_logs",
          tools.logs.execute({
            namespace: t.namespace,
            pod: p.name,
            tailLines: 50,
            ...(container ? { container } : {}),
          }),
        );
        if (cur) logs[p.name] = cur.lines;
      }
    }
    // The previous run says why a container crashed; two failing pods are enough to see a pattern.
    for (const p of failing.slice(0, 2)) {
      const container = t.container ?? p.containers[0]?.name;
      const args = {
        namespace: t.namespace,
        pod: p.name,
        tailLines: 30,
        ...(container ? { container } : {}),
      };
      const prev = await guard("k8s_pod_logs", tools.logs.execute({ ...args, previous: true }));
      const cur = await guard("k8s_pod_logs", tools.logs.execute({ ...args, previous: false }));
      logs[p.name] = [...(prev?.lines ?? []), ...(cur?.lines ?? [])];
    }
    const events =
      (await guard("k8s_events", tools.events.execute({ namespace: t.namespace, limit: 200 })))?.events ?? [];
    const names = new Set([
      ...pods.map((p) => p.name),
      deployment ?? "",
      ...(rollout?.revisions.map((r) => r.name) ?? []),
    ]);
    const obs: WorkloadObservations = {
      pods,
      logs,
      events: events.filter((e) => names.has(e.object.split("/")[1] ?? "")).slice(-40),
    };
    if (rollout) obs.rollout = rollout;
    if (deployment) {
      const hpas = await guard(
        "k8s_hpas",
        tools.hpas.execute({ namespace: t.namespace, target: deployment }),
      );
      if (hpas?.hpas[0]) obs.hpa = hpas.hpas[0];
    }
    return { obs, errors };
  }

  async function locate(target: Target): Promise<Located> {
    try {
      if (target.kind === "k8s_ref") {
        const pinned = await pinRef(kube, target);
        return pinned.ok ? locate(pinned.target) : pinned;
      }
      if (target.kind === "k8s_node") {
        const n = await kube.core.readNode({ name: target.name });
        const frozen = frozenBy(opts.policy, n.metadata, `node ${target.name}`);
        return {
          ok: true,
          target,
          instanceId: n.metadata?.uid ?? null,
          ...(frozen ? { protectedReason: frozen } : {}),
        };
      }
      if (target.kind !== "k8s_workload")
        return { ok: false, reason: `not a Kubernetes target: ${target.kind}` };
      let meta: V1ObjectMeta | undefined;
      if (target.workload === "deployment") {
        meta = (await kube.apps.readNamespacedDeployment({ name: target.name, namespace: target.namespace }))
          .metadata;
      } else if (target.workload === "pod") {
        meta = (await kube.core.readNamespacedPod({ name: target.name, namespace: target.namespace }))
          .metadata;
      } else {
        // The object is read so the person gets the truth: it exists (or not), and no catalog action acts on it.
        const ref = { name: target.name, namespace: target.namespace };
        const read =
          target.workload === "statefulset"
            ? await kube.apps.readNamespacedStatefulSet(ref)
            : await kube.apps.readNamespacedDaemonSet(ref);
        const status = rolloutStatusText(read);
        return {
          ok: false,
          code: "target_unsupported",
          object: `${target.namespace}/${target.workload}/${target.name}`,
          reason: `${target.workload} ${target.namespace}/${target.name} exists${status ? ` (${status})` : ""}, but no catalog action acts on a ${target.workload}; a person takes it (an alert naming one of its pods lets AegisOps investigate that pod)`,
        };
      }
      const uid = meta?.uid ?? null;
      const frozen =
        frozenBy(opts.policy, meta, `${target.workload} ${target.namespace}/${target.name}`) ??
        (target.workload === "pod"
          ? await frozenOwner(opts.policy, kube, target.namespace, meta)
          : undefined);
      if (frozen) return { ok: true, target, instanceId: uid, protectedReason: frozen };
      if (protectedNs.has(target.namespace)) {
        return {
          ok: true,
          target,
          instanceId: uid,
          protectedReason: `namespace ${target.namespace} is protected by policy`,
        };
      }
      return { ok: true, target, instanceId: uid };
    } catch (err) {
      return {
        ok: false,
        reason: kubeStatus(err) === 404 ? `${target.key} not found in the cluster` : describeError(err),
      };
    }
  }

  /** The pod a restart should replace: the one named, else the worst of the workload. */
  async function podToRestart(t: Workload, params: Record<string, unknown>): Promise<string> {
    if (typeof params.pod === "string") return params.pod;
    if (t.workload === "pod") return t.name;
    const { obs } = await observe(t);
    const worst = [...obs.pods].sort((a, b) => score(b) - score(a))[0];
    if (!worst) throw new AegisError("action_failed", `no pod of ${t.key} to restart`);
    return worst.name;
  }
  const mustDeployment = async (t: Workload): Promise<string> => {
    const d = await deploymentOf(t);
    if (!d) throw new AegisError("action_failed", `${t.key} is not managed by a deployment`);
    return d;
  };

  /**
   * The policy's traffic settings for a workload: the entry whose target it is, or whose Service selects its pods
   * (compared without the version label, so a Service already pinned to one version still counts).
   */
  async function trafficOf(t: Workload): Promise<TrafficSettings | undefined> {
    for (const s of Object.values(opts.policy?.services ?? {})) {
      const tr = s.traffic;
      if (!tr || (tr.namespace ?? s.target?.namespace ?? t.namespace) !== t.namespace) continue;
      const settings = { ...tr, namespace: t.namespace };
      if (s.target?.deployment === t.name) return settings;
      const deployment = await deploymentOf(t).catch(() => null);
      if (!deployment) continue;
      const [svc, d] = await Promise.all([
        kube.core.readNamespacedService({ name: tr.service, namespace: t.namespace }),
        kube.apps.readNamespacedDeployment({ name: deployment, namespace: t.namespace }),
      ]).catch(() => [undefined, undefined] as const);
      const labels = d?.spec?.template.metadata?.labels ?? {};
      const base = Object.entries(svc?.spec?.selector ?? {}).filter(([k]) => k !== tr.versionLabel);
      if (base.length > 0 && base.every(([k, v]) => labels[k] === v)) return settings;
    }
    return undefined;
  }

  /** The Argo CD Application deploying a Deployment: the policy's, else its instance label or tracking id. */
  async function argocdApplicationOf(t: Workload, deployment: string): Promise<string | null> {
    const fromPolicy = settingsFor(t)?.settings.argocd?.application;
    if (fromPolicy) return fromPolicy;
    const d = await kube.apps.readNamespacedDeployment({ name: deployment, namespace: t.namespace });
    const label = d.metadata?.labels?.[ARGOCD_INSTANCE];
    if (label) return label;
    const tracking = d.metadata?.annotations?.[ARGOCD_TRACKING];
    return tracking?.split(":")[0] || null;
  }

  /** Targets whose own pod recreate_pod_elsewhere moved for packet loss (not a callee's), for verification. */
  const movedOwnPod = new Set<string>();
  const regions = createRegionFailover({
    kube,
    region: opts.cluster,
    clusters: opts.clusters ?? {},
    clock: opts.clock,
  });
  const reconcile = createReconcile({
    kube,
    hpas: tools.hpas,
    workload,
    nodeName,
    observe,
    mustDeployment,
    mustSettings,
    trafficOf,
  });
  const { recentLogsClean, failoverHealth, workloadHealth, podGone } = createHealthChecks({
    kube,
    listPods: tools.pods,
    deploymentOf,
    observe,
    mustDatabase: (t) => mustSettings(t, "database").value,
  });

  const actionContext: ActionContext = {
    kube,
    tools,
    opts,
    workload,
    nodeName,
    podToRestart,
    mustDeployment,
    argocdApplicationOf,
    observe,
    observeCallee,
    movedOwnPod,
    mustSettings,
    settingsFor,
    regions,
    trafficOf,
    observeVersions,
  };
  const runUndo = (record: ActionRecord, target: Target, asked: "automatic" | "person") =>
    undoAction(actionContext, record, target, asked);

  return {
    kinds: ["k8s_workload", "k8s_node", "k8s_ref"],
    actions: ACTIONS,
    locate,

    readOnlyTools(target: Target): Tool[] {
      // Bound to the incident's namespace/workload or node: the model reads about this target and no other.
      return [...boundKubernetesReadTools(target, tools), ...promTools];
    },

    async investigate(target, alerts, clock = REAL_CLOCK): Promise<Evidence> {
      const collectedAt = new Date().toISOString();
      if (target.kind === "k8s_node") {
        const node = await readNode(kube, target.name);
        const errors: string[] = [];
        const signals = nodeSignals(node);
        // A drain for pressure needs somewhere to move the pods to.
        if (signals.some((s) => s.name === "memory_pressure" || s.name === "pid_pressure")) {
          const room = await roomElsewhere(kube, target.name).catch((err: unknown) => {
            errors.push(`k8s_nodes: ${describeError(err)}`);
            return undefined;
          });
          if (room?.length === 0)
            signals.push(
              signal(
                "no_room_elsewhere",
                true,
                "no other node is Ready, schedulable and free of memory, PID and disk pressure",
              ),
            );
        }
        return {
          collectedAt,
          signals,
          observations: { k8s_node_status: trimNode(node) },
          errors,
        };
      }
      const t = workload(target);
      const { obs, errors } = await observe(t);
      obs.observedAt = clock.now();
      let signals = workloadSignals(obs);
      const firing = alerts.filter((a) => a.status === "firing").map((a) => Date.parse(a.startsAt));
      const since = firing.length > 0 ? Math.min(...firing) : undefined;
      // Crashes and OOM kills speak for themselves; otherwise memory over time tells a leak from a full cache.
      if (!signals.some((s) => s.name === "crash_loop" || s.name === "oom_killed")) {
        const memory = await observeMemory(t, obs, clock, errors, since);
        if (memory.some((s) => s.name === "memory_growth"))
          signals = [...signals.filter((s) => s.name !== "healthy"), ...memory];
        else signals = [...signals, ...memory];
      }
      const stuck = stuckPodSignals(obs);
      if (stuck.length > 0) signals = [...signals.filter((s) => s.name !== "healthy"), ...stuck];
      const kafka = settingsFor(t);
      if (kafka?.settings.kafka) {
        const group = kafka.settings.kafka.group ?? kafka.name;
        const lagLine = currentLine(obs.logs, /\blag [1-9]\d* messages\b|consumer lag/i);
        const lagAlert = alerts.find(
          (a) => a.status === "firing" && GROUP_LABELS.some((l) => a.labels[l] !== undefined),
        );
        // The alert alone is not the lag: it may have been evaluated during a rebalance that has passed. The
        // consumers' own current lines, or the exporter's series through PROMETHEUS_URL, must still show it.
        const measured = lagLine || !lagAlert ? null : await measuredLag(group, errors);
        if (lagAlert && !lagLine && measured === null)
          errors.push(
            `consumer group ${group}: alert ${lagAlert.labels.alertname ?? ""} fires, but neither the consumers' recent logs${opts.prometheusUrl ? " nor kafka_consumergroup_lag" : ""} show lag now`,
          );
        const groupSignals = consumerGroupSignals({
          group,
          partitions: kafka.settings.kafka.partitions,
          readyConsumers: obs.pods.filter((p) => p.ready && !p.deleting).length,
          lagSeen: lagLine
            ? `consumer log: "${lagLine.slice(0, 120)}"`
            : measured !== null
              ? `kafka_consumergroup_lag ${measured} (firing alert ${lagAlert?.labels.alertname ?? ""})`
              : null,
        });
        // Lag on one partition (a hot key) is not a lack of consumers: read it per partition when possible.
        if (groupSignals.length > 0)
          groupSignals.push(...hotPartitionSignals(group, await partitionLags(observerDeps, group, errors)));
        // A lagging group with running pods is not healthy, whatever its pods say.
        if (groupSignals.length > 0)
          signals = [...signals.filter((s) => s.name !== "healthy"), ...groupSignals];
      }
      // Calls to another service get no answer: is it one node of the callee (its NIC), or the path as a whole?
      const callee = signals.find((s) => s.name === "callee_unreachable")?.value;
      // The callee's own errors: say whether they came with a new release of it (its own incident rolls it back).
      const failingCallee = signals.find((s) => s.name === "callee_errors");
      if (failingCallee && typeof failingCallee.value === "string") {
        const r = await readRollout(kube, t.namespace, failingCallee.value).catch(() => undefined);
        const newest = r?.revisions[0];
        if (r && newest && r.revisions.length > 1)
          failingCallee.detail += `; ${failingCallee.value} runs revision ${newest.revision} (${newest.images.join(", ")}) since ${newest.createdAt ?? "?"}: roll it back through its own incident if the errors began with it`;
      }
      if (typeof callee === "string") signals.push(...(await observeCallee(t, callee, errors)).signals);
      else {
        const lossy = ownNodeSignals(obs.pods, obs.logs);
        if (lossy.length > 0) signals = [...signals.filter((s) => s.name !== "healthy"), ...lossy];
      }
      const failover = settingsFor(t)?.settings.failover;
      if (failover) {
        const rs = await regions.signals(t, failover, obs.pods).catch((err: unknown) => {
          errors.push(`regions: ${describeError(err)}`);
          return [];
        });
        if (rs.length > 0) signals = [...signals.filter((s) => s.name !== "healthy"), ...rs];
      }
      const queue = settingsFor(t)?.settings.queue;
      if (queue && signals.some((s) => s.name === "queue_backlog")) {
        const ready = obs.pods.filter((p) => p.ready && !p.deleting).length;
        const cap =
          queue.maxWorkers !== undefined && ready >= queue.maxWorkers
            ? `${ready} worker(s) Ready, the policy's cap is ${queue.maxWorkers}`
            : obs.hpa?.atMax
              ? `the HPA ${obs.hpa.name} is at its max of ${obs.hpa.maxReplicas}`
              : null;
        if (cap) signals.push(signal("workers_at_cap", ready, `more workers are not an option: ${cap}`));
        if (cap && queue.drainHook)
          signals.push(
            signal(
              "queue_drain_available",
              true,
              `a drain hook is configured (${new URL(queue.drainHook.url).host})`,
            ),
          );
      }
      const traffic = await trafficOf(t);
      if (traffic) {
        try {
          const vs = versionSignals(await observeVersions(traffic));
          if (vs.length > 0) signals = [...signals.filter((s) => s.name !== "healthy"), ...vs];
        } catch (err) {
          errors.push(`versions behind ${traffic.service}: ${describeError(err)}`);
        }
      }
      // A pod failing on what its template holds (a limit, a config): the controller is the root cause.
      signals.push(...(await observeTemplateOwner(observerDeps, t, signals, errors)));
      // Name lookups that go unanswered while an egress NetworkPolicy lets no DNS out: the policy is the cause.
      const egress = await observeEgressPolicy(observerDeps, t, obs, errors);
      if (egress.length > 0) signals = [...signals.filter((s) => s.name !== "healthy"), ...egress];
      // A Service meant for these pods that routes nowhere: the pods look fine, the traffic never reaches them.
      const routing = await observeServiceRouting(observerDeps, t, obs, errors);
      if (routing.length > 0) signals = [...signals.filter((s) => s.name !== "healthy"), ...routing];
      // Pods Pending on a claim that does not bind: the claim (and a volume holding an old one) is the cause.
      const claims = await observeClaims(observerDeps, t, obs, errors);
      if (claims.length > 0) signals = [...signals.filter((s) => s.name !== "healthy"), ...claims];
      // A Chaos Mesh experiment breaking these pods (or others of the namespace) on purpose: named, never fought.
      const chaos = await observeChaos(observerDeps, t, obs, errors);
      if (chaos.some((s) => s.name === "chaos_injected"))
        signals = [...signals.filter((s) => s.name !== "healthy"), ...chaos];
      else signals = [...signals, ...chaos];
      const db = settingsFor(t)?.settings.database;
      if (db) {
        const dbSignals = await observeDatabase(t, db, obs.pods, errors);
        if (dbSignals.length > 0) signals = [...signals.filter((s) => s.name !== "healthy"), ...dbSignals];
      }
      // Slowness from history (PROMETHEUS_URL): did it come with the newest revision, or with a service it calls?
      const latency = latencyAlert(alerts);
      if (latency) {
        const own = await observeLatency(observerDeps, t.namespace, obs.rollout, latency, errors, since);
        let found = own.signals.some((s) => s.name === "latency_began_with_revision") ? own.signals : [];
        if (found.length === 0 && !signals.some((s) => NAMING.includes(s.name))) {
          // The policy's `calls`, and what the service mesh's own request metrics say this workload calls.
          const listed = settingsFor(t)?.settings.calls ?? [];
          const calls = [...new Set([...listed, ...(await meshCallees(observerDeps, t, errors))])];
          const slow = await observeCallees(observerDeps, t, calls, latency, errors, since);
          if (slow) found = [slow];
        }
        // Neither its release nor a callee: that its slowness predates the release is still worth saying.
        if (found.length === 0) found = own.signals;
        if (found.length > 0) signals = [...signals.filter((s) => s.name !== "healthy"), ...found];
      }
      // Server errors from history (PROMETHEUS_URL): did they come with the newest revision?
      const errorRead = errorAlert(alerts);
      if (errorRead) {
        const own = await observeErrors(observerDeps, t.namespace, obs.rollout, errorRead, errors, since);
        if (own.length > 0) signals = [...signals.filter((s) => s.name !== "healthy"), ...own];
      }
      // The service the symptom comes from, read on its own: its evidence says whether acting on it is supported.
      let dependency = await observeDependency(
        observerDeps,
        t,
        signals,
        {
          observe,
          latency: latency ? { query: latency, since } : undefined,
          // The dependency is read by the observers its own policy entry maps, as its own incident would be.
          more: async (w, seen, errs, reached) => {
            const mapped = settingsFor(w)?.settings.database ?? databaseBehind(reached);
            return [
              ...(mapped ? await observeDatabase(w, mapped, seen.pods, errs) : []),
              ...(await observeClaims(observerDeps, w, seen, errs)),
            ];
          },
        },
        errors,
      );
      // Refused connections to a service whose own pods are Ready and serve: it is up, the refusal is this side's
      // (a wrong port or address), so it is not named as the cause.
      if (dependency?.via === "dependency_down" && dependency.signals.some((s) => s.name === "healthy")) {
        signals = signals.filter((s) => s.name !== "dependency_down");
        dependency = undefined;
      }
      return {
        collectedAt,
        signals,
        ...(dependency ? { dependency } : {}),
        observations: {
          k8s_list_pods: obs.pods,
          ...(obs.rollout
            ? {
                k8s_rollout_history: {
                  ...obs.rollout,
                  revisions: obs.rollout.revisions.map(({ template: _t, ...r }) => r),
                },
              }
            : {}),
          k8s_pod_logs: Object.fromEntries(Object.entries(obs.logs).map(([k, v]) => [k, v.slice(-15)])),
          k8s_events: obs.events.slice(-15),
        },
        errors,
      };
    },

    async execute(decision: Decision, target: Target): Promise<ActionResult> {
      const action = KUBE_ACTIONS[decision.action];
      if (!action)
        throw new AegisError(
          "action_failed",
          `${decision.action} is not a Kubernetes action this platform runs`,
        );
      const refused = await action.precheck?.(actionContext, target, decision.params);
      if (refused)
        throw new AegisError("action_failed", `pre-check: ${refused}; nothing was changed`, {
          details: { escalate: true },
        });
      return action.run(actionContext, target, decision.params);
    },

    reconcile: (record, target) =>
      record.action === "failover_region"
        ? regions.reconcile(workload(target), mustSettings(workload(target), "failover").value)
        : reconcile(record, target),
    // After a failed verification: only undos safe to run unasked (not a roll forward onto the failed release).
    rollback: (record, target) => runUndo(record, target, "automatic"),
    undo: (record, target) => runUndo(record, target, "person"),
    undoConflict: (record, target) => undoConflict(actionContext, record, target),

    async checkHealth(target, alerts, since, decision): Promise<Verification> {
      const checkedAt = new Date().toISOString();
      const evidence: Verification["evidence"] = [];
      try {
        if (target.kind === "k8s_node") {
          const node = await readNode(kube, target.name);
          const left = podsToDrain(node.pods);
          if (decision.action === "cordon_drain_node") {
            evidence.push({
              check: "cordoned",
              ok: node.unschedulable,
              detail: node.unschedulable ? "unschedulable" : "schedulable",
            });
            evidence.push({
              check: "drained",
              ok: left.length === 0,
              detail:
                left.length === 0
                  ? "no workload pods left on the node"
                  : `still hosting ${left.map((p) => `${p.namespace}/${p.name}`).join(", ")}`,
            });
          } else {
            const ready = node.conditions.find((c) => c.type === "Ready");
            evidence.push({
              check: "node_ready",
              ok: ready?.status === "True",
              detail: `Ready=${ready?.status ?? "?"}`,
            });
          }
        } else if (decision.action === "failover_region") {
          const t = workload(target);
          evidence.push(...(await regions.health(t, mustSettings(t, "failover").value)));
        } else if (decision.action === "reroute_traffic") {
          evidence.push(...(await rerouteHealth(workload(target))));
        } else if (decision.action === "failover_database") {
          evidence.push(...(await failoverHealth(workload(target))));
        } else {
          evidence.push(...(await workloadHealth(workload(target))));
          if (decision.action === "restart_pod" && typeof decision.params.pod === "string")
            evidence.push(await podGone(workload(target).namespace, decision.params.pod));
          // A queue drains over minutes after more workers start: the workers' readiness is the check there.
          const symptom =
            decision.action === "drain_queue"
              ? "queue_backlog"
              : decision.family === "queue_depth"
                ? undefined
                : decision.family === "packet_loss"
                  ? "callee_unreachable"
                  : KUBE_ACTIONS[decision.action]?.symptom;
          if (symptom) evidence.push(await recentLogsClean(workload(target), symptom));
          // More consumers are a fix only when the lag then falls (a hot partition keeps growing however many).
          if (decision.action === "add_kafka_consumers")
            evidence.push(lagTrendCheck((await observe(workload(target))).obs.logs));
          // Its own pod was moved off a node that drops packets: the ones left must not see stalls either.
          if (decision.family === "packet_loss" && movedOwnPod.has(target.key))
            evidence.push(await recentLogsClean(workload(target), "node_network_lossy"));
        }
      } catch (err) {
        evidence.push({ check: "read", ok: false, detail: describeError(err) });
      }
      if (opts.prometheusUrl) evidence.push(...(await prometheusChecks(opts.prometheusUrl, alerts, since)));
      return { healthy: evidence.length > 0 && evidence.every((e) => e.ok), evidence, checkedAt };
    },
  };

  /** After a reroute: the Service is pinned to one version, whose Ready pods serve cleanly (newest log lines). */
  async function rerouteHealth(t: Workload): Promise<Verification["evidence"]> {
    const tr = await trafficOf(t);
    if (!tr) return [{ check: "traffic_settings", ok: false, detail: `no traffic settings for ${t.key}` }];
    const svc = await kube.core.readNamespacedService({ name: tr.service, namespace: tr.namespace });
    const pinned = svc.spec?.selector?.[tr.versionLabel];
    const v = await observeVersions(tr, 5);
    const serving = v.healthy.find((h) => h.version === pinned);
    return [
      {
        check: "service_pinned",
        ok: pinned !== undefined,
        detail: `${tr.service} selects ${selectorText(svc.spec?.selector ?? {})}`,
      },
      {
        check: "pinned_version_healthy",
        ok: serving !== undefined,
        detail: serving
          ? `${serving.pods} Ready pod(s) of ${tr.versionLabel}=${pinned} serve without errors`
          : `${tr.versionLabel}=${pinned ?? "?"} is not healthy: ${v.failing.find((f) => f.version === pinned)?.why ?? "no Ready pod"}`,
      },
    ];
  }
}

const PRESSURES = new Set(["MemoryPressure", "PIDPressure", "DiskPressure"]);
/** The other nodes a drain could move pods to: Ready, schedulable, no pressure condition. */
async function roomElsewhere(kube: KubeClients, except: string): Promise<string[]> {
  const nodes = await kube.core.listNode();
  return nodes.items
    .filter((n) => n.metadata?.name !== except && n.spec?.unschedulable !== true)
    .filter((n) => {
      const conds = n.status?.conditions ?? [];
      const ready = conds.some((c) => c.type === "Ready" && c.status === "True");
      return ready && !conds.some((c) => PRESSURES.has(c.type) && c.status === "True");
    })
    .map((n) => n.metadata?.name ?? "");
}

/** How badly a pod is doing, for picking which one to restart. */
function score(p: PodSnapshot): number {
  return (
    (p.ready ? 0 : 100) +
    p.containers.reduce((s, c) => s + c.restartCount + (c.lastTerminated?.reason === "OOMKilled" ? 50 : 0), 0)
  );
}

function trimNode(n: Awaited<ReturnType<typeof readNode>>) {
  return {
    ...n,
    pods: n.pods.map((p) => ({ name: `${p.namespace}/${p.name}`, owner: p.ownerKind, ready: p.ready })),
  };
}
