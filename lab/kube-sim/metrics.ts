import type { SimContext } from "./controllers/context.ts";
import { R, controllerOf, isActive, isPodReady } from "./controllers/context.ts";
import { nodeDisk } from "./controllers/nodeHealth.ts";
import { batchMetrics } from "./metricsBatch.ts";
import { ingressMetrics } from "./metricsIngress.ts";
import { conditionGauges } from "./metricsGauge.ts";
import { selectedDbRole } from "./load.ts";
import { series } from "./simulate.ts";
import type {
  Deployment,
  HorizontalPodAutoscaler,
  Node,
  Pod,
  PodDisruptionBudget,
  ReplicaSet,
} from "./types.ts";
import { parseBytes, parseCpu } from "./world.ts";

type Family = { type: "gauge" | "counter" | "histogram" | "summary"; help: string; samples: string[] };

const HELP: Record<string, [Family["type"], string]> = {
  http_requests_total: ["counter", "HTTP requests served, by status code."],
  http_request_duration_seconds: ["histogram", "HTTP request latency."],
  upstream_requests_total: ["counter", "Calls to upstream APIs, by status code."],
  nginx_ingress_controller_requests: ["counter", "Requests at the ingress, by status."],
};

/** Prometheus text exposition of the simulated cluster: kube-state-metrics, cAdvisor, node and app metrics. */
export function renderMetrics(ctx: SimContext): string {
  const fams = new Map<string, Family>();
  const add = (
    name: string,
    type: Family["type"],
    help: string,
    labels: Record<string, string>,
    value: number,
  ) => {
    let f = fams.get(name);
    if (!f) {
      f = { type, help, samples: [] };
      fams.set(name, f);
    }
    f.samples.push(`${series(name, labels)} ${Number.isFinite(value) ? value : 0}`);
  };
  const g = (name: string, help: string, labels: Record<string, string>, v: number) =>
    add(name, "gauge", help, labels, v);

  const pods = ctx.store.view(R.pods) as readonly Pod[];
  for (const p of pods) {
    const id = { namespace: p.metadata.namespace!, pod: p.metadata.name, uid: p.metadata.uid! };
    const owner = controllerOf(p);
    g(
      "kube_pod_info",
      "Information about pod.",
      {
        ...id,
        node: p.spec.nodeName ?? "",
        host_ip: p.status?.hostIP ?? "",
        pod_ip: p.status?.podIP ?? "",
        created_by_kind: owner?.kind ?? "<none>",
        created_by_name: owner?.name ?? "<none>",
      },
      1,
    );
    g(
      "kube_pod_owner",
      "Information about the Pod's owner.",
      {
        ...id,
        owner_kind: owner?.kind ?? "<none>",
        owner_name: owner?.name ?? "<none>",
        owner_is_controller: owner ? "true" : "<none>",
      },
      1,
    );
    for (const phase of ["Pending", "Succeeded", "Failed", "Unknown", "Running"]) {
      g(
        "kube_pod_status_phase",
        "The pods current phase.",
        { ...id, phase },
        (p.status?.phase ?? "Pending") === phase ? 1 : 0,
      );
    }
    // kube-state-metrics' fixed set of reasons, each 0 or 1.
    for (const reason of ["Evicted", "NodeAffinity", "NodeLost", "Shutdown", "UnexpectedAdmissionError"])
      g(
        "kube_pod_status_reason",
        "The pod status reasons",
        { ...id, reason },
        p.status?.reason === reason ? 1 : 0,
      );
    const ready = isPodReady(p);
    for (const condition of ["true", "false", "unknown"]) {
      g(
        "kube_pod_status_ready",
        "Describes whether the pod is ready to serve requests.",
        { ...id, condition },
        (ready ? "true" : "false") === condition ? 1 : 0,
      );
    }
    for (const c of p.spec.containers) {
      const cs = p.status?.containerStatuses?.find((x) => x.name === c.name);
      const cid = { ...id, container: c.name };
      add(
        "kube_pod_container_status_restarts_total",
        "counter",
        "The number of container restarts per container.",
        cid,
        cs?.restartCount ?? 0,
      );
      g(
        "kube_pod_container_status_ready",
        "Describes whether the containers readiness check succeeded.",
        cid,
        cs?.ready ? 1 : 0,
      );
      g(
        "kube_pod_container_status_running",
        "Describes whether the container is currently in running state.",
        cid,
        cs?.state.running ? 1 : 0,
      );
      g(
        "kube_pod_container_status_waiting",
        "Describes whether the container is currently in waiting state.",
        cid,
        cs?.state.waiting ? 1 : 0,
      );
      if (cs?.state.waiting)
        g(
          "kube_pod_container_status_waiting_reason",
          "Describes the reason the container is currently in waiting state.",
          { ...cid, reason: cs.state.waiting.reason },
          1,
        );
      const lt = cs?.lastState.terminated;
      if (lt) {
        g(
          "kube_pod_container_status_last_terminated_reason",
          "Describes the last reason the container was in terminated state.",
          { ...cid, reason: lt.reason },
          1,
        );
        g(
          "kube_pod_container_status_last_terminated_exitcode",
          "Describes the exit code for the last container in terminated state.",
          cid,
          lt.exitCode,
        );
      }
      for (const [resource, unit, v] of [
        ["cpu", "core", parseCpu(c.resources?.requests?.cpu)],
        ["memory", "byte", parseBytes(c.resources?.requests?.memory)],
      ] as const) {
        if (v !== undefined)
          g(
            "kube_pod_container_resource_requests",
            "The number of requested request resource by a container.",
            { ...cid, node: p.spec.nodeName ?? "", resource, unit },
            v,
          );
      }
      const limit = parseBytes(c.resources?.limits?.memory);
      for (const [resource, unit, v] of [
        ["cpu", "core", parseCpu(c.resources?.limits?.cpu)],
        ["memory", "byte", limit],
      ] as const) {
        if (v !== undefined)
          g(
            "kube_pod_container_resource_limits",
            "The number of requested limit resource by a container.",
            { ...cid, node: p.spec.nodeName ?? "", resource, unit },
            v,
          );
      }
      const rt = ctx.world.runtimes.get(p.metadata.uid!)?.containers.get(c.name);
      if (rt?.state === "running") {
        const cad = {
          namespace: id.namespace,
          pod: id.pod,
          container: c.name,
          image: c.image ?? "",
          node: p.spec.nodeName ?? "",
        };
        g(
          "container_memory_working_set_bytes",
          "Current working set of the container in bytes.",
          cad,
          Math.round(rt.memBytes),
        );
        add(
          "container_cpu_usage_seconds_total",
          "counter",
          "Cumulative cpu time consumed in seconds.",
          cad,
          rt.cpuSeconds,
        );
        if (limit !== undefined)
          g("container_spec_memory_limit_bytes", "Memory limit for the container.", cad, limit);
        if (rt.cfs) {
          add(
            "container_cpu_cfs_periods_total",
            "counter",
            "Number of elapsed enforcement period intervals.",
            cad,
            Math.floor(rt.cfs.periods),
          );
          add(
            "container_cpu_cfs_throttled_periods_total",
            "counter",
            "Number of throttled period intervals.",
            cad,
            Math.floor(rt.cfs.throttled),
          );
          add(
            "container_cpu_cfs_throttled_seconds_total",
            "counter",
            "Total time duration the container has been throttled.",
            cad,
            rt.cfs.throttledSeconds,
          );
        }
      }
      if (rt) {
        const oom = rt.lastTerminated?.reason === "OOMKilled" ? rt.restartCount : 0;
        if (oom)
          add(
            "container_oom_events_total",
            "counter",
            "Count of out of memory events observed for the container.",
            { namespace: id.namespace, pod: id.pod, container: c.name },
            oom,
          );
      }
    }
  }
  for (const o of ctx.store.view(R.deployments)) {
    const d = o as Deployment;
    const id = { namespace: d.metadata.namespace!, deployment: d.metadata.name };
    g("kube_deployment_spec_replicas", "Number of desired pods for a deployment.", id, d.spec.replicas ?? 1);
    g(
      "kube_deployment_status_replicas",
      "The number of replicas per deployment.",
      id,
      d.status?.replicas ?? 0,
    );
    g(
      "kube_deployment_status_replicas_available",
      "The number of available replicas per deployment.",
      id,
      d.status?.availableReplicas ?? 0,
    );
    g(
      "kube_deployment_status_replicas_unavailable",
      "The number of unavailable replicas per deployment.",
      id,
      d.status?.unavailableReplicas ?? 0,
    );
    g(
      "kube_deployment_status_replicas_updated",
      "The number of updated replicas per deployment.",
      id,
      d.status?.updatedReplicas ?? 0,
    );
    g(
      "kube_deployment_metadata_generation",
      "Sequence number representing a specific generation of the desired state.",
      id,
      d.metadata.generation ?? 0,
    );
    g(
      "kube_deployment_status_observed_generation",
      "The generation observed by the deployment controller.",
      id,
      d.status?.observedGeneration ?? 0,
    );
    conditionGauges(
      g,
      "kube_deployment_status_condition",
      "The current status conditions of a deployment.",
      id,
      d.status?.conditions,
    );
  }
  batchMetrics(ctx, g);
  ingressMetrics(ctx, g);
  for (const o of ctx.store.view(R.replicasets)) {
    const rs = o as ReplicaSet;
    const id = { namespace: rs.metadata.namespace!, replicaset: rs.metadata.name };
    const owner = rs.metadata.ownerReferences?.find((r) => r.controller);
    g(
      "kube_replicaset_owner",
      "Information about the ReplicaSet's owner.",
      {
        ...id,
        owner_kind: owner?.kind ?? "<none>",
        owner_name: owner?.name ?? "<none>",
        owner_is_controller: owner ? "true" : "<none>",
      },
      1,
    );
    g("kube_replicaset_spec_replicas", "Number of desired pods for a ReplicaSet.", id, rs.spec.replicas ?? 0);
    g(
      "kube_replicaset_status_ready_replicas",
      "The number of ready replicas per ReplicaSet.",
      id,
      rs.status?.readyReplicas ?? 0,
    );
  }
  for (const v of ctx.store.view(R.pvs)) {
    const phase = String((v.status as { phase?: string } | undefined)?.phase ?? "Pending");
    for (const ph of ["Pending", "Available", "Bound", "Released", "Failed"])
      g(
        "kube_persistentvolume_status_phase",
        "The phase indicates if a volume is available, bound to a claim, or released by a claim.",
        { persistentvolume: v.metadata.name, phase: ph },
        phase === ph ? 1 : 0,
      );
  }
  for (const c of ctx.store.view(R.pvcs)) {
    const phase = String((c.status as { phase?: string } | undefined)?.phase ?? "Pending");
    for (const ph of ["Lost", "Bound", "Pending"])
      g(
        "kube_persistentvolumeclaim_status_phase",
        "The phase the persistent volume claim is currently in.",
        { namespace: c.metadata.namespace ?? "", persistentvolumeclaim: c.metadata.name, phase: ph },
        phase === ph ? 1 : 0,
      );
  }
  for (const o of ctx.store.view(R.nodes)) {
    const n = o as Node;
    const node = n.metadata.name;
    g(
      "kube_node_info",
      "Information about a cluster node.",
      {
        node,
        kubelet_version: n.status?.nodeInfo?.kubeletVersion ?? "",
        internal_ip: n.status?.addresses?.[0]?.address ?? "",
      },
      1,
    );
    g(
      "kube_node_spec_unschedulable",
      "Whether a node can schedule new pods.",
      { node },
      n.spec?.unschedulable ? 1 : 0,
    );
    conditionGauges(
      g,
      "kube_node_status_condition",
      "The condition of a cluster node.",
      { node },
      n.status?.conditions,
    );
    for (const t of n.spec?.taints ?? [])
      g(
        "kube_node_spec_taint",
        "The taint of a cluster node.",
        { node, key: t.key, value: t.value ?? "", effect: t.effect },
        1,
      );
    const st = ctx.world.node(node);
    const fs = nodeDisk(
      ctx,
      n,
      (ctx.store.view(R.pods) as readonly Pod[]).filter((p) => p.spec.nodeName === node && isActive(p)),
    );
    const size = fs.capacity;
    const inst = { instance: node, node, device: "/dev/sda1", fstype: "ext4", mountpoint: "/" };
    g("node_filesystem_size_bytes", "Filesystem size in bytes.", inst, size);
    g(
      "node_filesystem_avail_bytes",
      "Filesystem space available to non-root users in bytes.",
      inst,
      st.diskFilling ? Math.min(size * 0.04, fs.available) : fs.available,
    );
    add(
      "node_netstat_Tcp_RetransSegs",
      "counter",
      "Statistic TcpRetransSegs.",
      { instance: node, node },
      ctx.world.counters.get(`retrans/${node}`) ?? 0,
    );
    add(
      "node_netstat_Tcp_OutSegs",
      "counter",
      "Statistic TcpOutSegs.",
      { instance: node, node },
      ctx.world.counters.get(`outsegs/${node}`) ?? 0,
    );
    g(
      "node_network_packet_loss_ratio",
      "Simulated packet loss on the node's primary interface.",
      { instance: node, node, device: "eth0" },
      st.packetLoss,
    );
  }
  for (const o of ctx.store.view(R.hpas)) {
    const h = o as HorizontalPodAutoscaler;
    const id = { namespace: h.metadata.namespace!, horizontalpodautoscaler: h.metadata.name };
    g(
      "kube_horizontalpodautoscaler_spec_max_replicas",
      "Upper limit for the number of pods that can be set by the autoscaler.",
      id,
      h.spec.maxReplicas,
    );
    g(
      "kube_horizontalpodautoscaler_spec_min_replicas",
      "Lower limit for the number of pods that can be set by the autoscaler.",
      id,
      h.spec.minReplicas ?? 1,
    );
    g(
      "kube_horizontalpodautoscaler_status_current_replicas",
      "Current number of replicas of pods managed by this autoscaler.",
      id,
      h.status?.currentReplicas ?? 0,
    );
    g(
      "kube_horizontalpodautoscaler_status_desired_replicas",
      "Desired number of replicas of pods managed by this autoscaler.",
      id,
      h.status?.desiredReplicas ?? 0,
    );
    conditionGauges(
      g,
      "kube_horizontalpodautoscaler_status_condition",
      "The condition of this autoscaler.",
      id,
      h.status?.conditions,
    );
  }
  for (const o of ctx.store.view(R.pdbs)) {
    const b = o as PodDisruptionBudget;
    const id = { namespace: b.metadata.namespace!, poddisruptionbudget: b.metadata.name };
    g(
      "kube_poddisruptionbudget_status_pod_disruptions_allowed",
      "Number of pod disruptions that are currently allowed.",
      id,
      b.status?.disruptionsAllowed ?? 0,
    );
    g(
      "kube_poddisruptionbudget_status_current_healthy",
      "Current number of healthy pods.",
      id,
      b.status?.currentHealthy ?? 0,
    );
    g(
      "kube_poddisruptionbudget_status_desired_healthy",
      "Minimum desired number of healthy pods.",
      id,
      b.status?.desiredHealthy ?? 0,
    );
    g(
      "kube_poddisruptionbudget_status_expected_pods",
      "Total number of pods counted by this disruption budget.",
      id,
      b.status?.expectedPods ?? 0,
    );
  }
  for (const k of ctx.world.kafka.values()) {
    const id = { consumergroup: k.group, topic: k.topic };
    k.lag.forEach((lag, i) =>
      add(
        "kafka_consumergroup_lag",
        "gauge",
        "Current Approximate Lag of a ConsumerGroup at Topic/Partition.",
        { ...id, partition: String(i) },
        Math.round(lag),
      ),
    );
    g(
      "kafka_consumergroup_lag_sum",
      "Current Approximate Lag of a ConsumerGroup at Topic for all partitions.",
      id,
      Math.round(k.lag.reduce((a, b) => a + b, 0)),
    );
    const d = ctx.store.peek(R.deployments, k.namespace, k.consumerDeployment) as Deployment | undefined;
    g(
      "kafka_consumergroup_members",
      "Amount of members in a consumer group.",
      { consumergroup: k.group },
      d?.status?.readyReplicas ?? 0,
    );
    g("kafka_topic_partitions", "Number of partitions for this Topic.", { topic: k.topic }, k.partitions);
  }
  for (const q of ctx.world.queues.values()) {
    const d = ctx.store.peek(R.deployments, q.namespace, q.workerDeployment) as Deployment | undefined;
    g(
      "rabbitmq_queue_messages_ready",
      "Messages ready to be delivered to consumers.",
      { queue: q.name, vhost: "/" },
      Math.round(q.depth),
    );
    g(
      "rabbitmq_queue_consumers",
      "Consumers on a queue.",
      { queue: q.name, vhost: "/" },
      d?.status?.readyReplicas ?? 0,
    );
  }
  for (const db of ctx.world.databases.values()) {
    const role = selectedDbRole(ctx, db.namespace, db.name) ?? "primary";
    for (const r of ["primary", "secondary"]) {
      const slow = db.slowRole === r;
      const id = { namespace: db.namespace, db: db.name, role: r };
      add(
        "db_query_duration_seconds",
        "summary",
        "Query latency seen by the database, by quantile.",
        { ...id, quantile: "0.5" },
        slow ? db.slowMs / 1500 : 0.004,
      );
      add(
        "db_query_duration_seconds",
        "summary",
        "Query latency seen by the database, by quantile.",
        { ...id, quantile: "0.95" },
        slow ? db.slowMs / 1000 : 0.012,
      );
      g(
        "db_serving_clients",
        "1 when the database's Service routes clients to this instance.",
        id,
        role === r ? 1 : 0,
      );
    }
  }
  for (const [key, value] of ctx.world.counters) {
    if (key.startsWith("retrans/") || key.startsWith("outsegs/")) continue;
    const name = key.slice(0, key.indexOf("{"));
    const family = name.replace(/_(bucket|sum|count)$/, "");
    const [type, help] = HELP[family] ?? HELP[name] ?? ["counter", name];
    const famName = type === "histogram" ? family : name;
    let f = fams.get(famName);
    if (!f) {
      f = { type, help, samples: [] };
      fams.set(famName, f);
    }
    f.samples.push(`${key} ${Math.round(value * 1000) / 1000}`);
  }
  let out = "";
  for (const [name, f] of fams)
    out += `# HELP ${name} ${f.help}\n# TYPE ${name} ${f.type}\n${f.samples.join("\n")}\n`;
  return out;
}
