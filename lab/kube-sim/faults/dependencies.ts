import type { SimContext } from "../controllers/context.ts";
import { R, isPodReady } from "../controllers/context.ts";
import { ApiError } from "../http/status.ts";
import { podsOfDeployment, selectedDbRole, serviceLoad } from "../load.ts";
import type { Deployment } from "../types.ts";
import type { FaultFamily } from "./types.ts";
import { num, splitTarget, targetDeployment } from "./types.ts";

/**
 * DB read latency: the instance a database's Service selects (by its `role` label) turns slow. Failing over
 * (pointing the Service's selector at the other role: `failover_database`) clears it; restarting clients does not.
 */
export const dbLatency: FaultFamily = {
  family: "db_latency",
  variants: ["slow_primary"],
  describe: "the database instance clients use turns slow (IO saturation on the primary)",
  inject(ctx, spec) {
    const { namespace, name } = splitTarget(spec.target);
    const svc = ctx.store.peek(R.services, namespace, name);
    const role = selectedDbRole(ctx, namespace, name);
    if (!svc || !role)
      throw new ApiError("BadRequest", `service ${namespace}/${name} with a "role" selector not found`);
    const key = `${namespace}/${name}`;
    const db = ctx.world.databases.get(key) ?? { namespace, name, slowMs: 0 };
    db.slowRole = role as "primary" | "secondary";
    db.slowMs = num(spec, "slowMs", 1200);
    ctx.world.databases.set(key, db);
    return {
      cause: `${name} ${role} is slow (IO saturation)`,
      clearedBy: "failover_database",
      active: (c) =>
        selectedDbRole(c, namespace, name) === db.slowRole &&
        c.world.databases.get(key)?.slowRole === db.slowRole,
      revert: (c) => {
        delete c.world.databases.get(key)?.slowRole;
      },
    };
  },
};

/** Packet loss between two services: the NIC of the node hosting the callee's pod drops packets. */
export const packetLoss: FaultFamily = {
  family: "packet_loss",
  variants: ["bad_nic"],
  describe: "packet loss on the node of the called service's pod: retransmits, timeouts, 502s at the caller",
  inject(ctx, spec) {
    const callee = targetDeployment(ctx, spec.target);
    const ns = callee.metadata.namespace!;
    const from = spec.params?.from ? String(spec.params.from) : undefined;
    if (from) {
      const caller = ctx.world.service(ns, from);
      if (!caller.calls.includes(callee.metadata.name)) caller.calls.push(callee.metadata.name);
    }
    const pod = podsOfDeployment(ctx, callee).find((p) => isPodReady(p) && p.spec.nodeName);
    if (!pod) throw new ApiError("BadRequest", `deployment ${callee.metadata.name} has no running pod`);
    const node = pod.spec.nodeName!;
    ctx.world.node(node).packetLoss = num(spec, "loss", 0.3);
    return {
      cause: `NIC of ${node}, which hosts ${callee.metadata.name}'s pod, drops ${Math.round(ctx.world.node(node).packetLoss * 100)}% of packets`,
      clearedBy: "recreate_pod_elsewhere (or reroute_traffic)",
      active: (c) => {
        const cur = c.store.peek(R.deployments, ns, callee.metadata.name) as Deployment | undefined;
        return (
          !!cur &&
          c.world.node(node).packetLoss > 0 &&
          podsOfDeployment(c, cur).some((p) => p.spec.nodeName === node)
        );
      },
      revert: (c) => {
        c.world.node(node).packetLoss = 0;
      },
    };
  },
};

/** Traffic 3×: offered load beyond what the ready pods can serve; only more capacity clears it. */
export const trafficSpike: FaultFamily = {
  family: "traffic_spike",
  variants: ["surge"],
  describe: "offered load multiplies: CPU saturates, latency climbs, 503s from load shedding",
  inject(ctx, spec) {
    const d = targetDeployment(ctx, spec.target);
    const model = ctx.world.service(d.metadata.namespace!, d.metadata.name);
    model.trafficFactor = num(spec, "factor", 3);
    return {
      cause: `${d.metadata.name} receives ${model.trafficFactor}x its usual traffic`,
      clearedBy: "scale_deployment or raise_hpa_limits (or rate_limit_traffic)",
      active: (c) => saturated(c, d),
      revert: () => {
        model.trafficFactor = 1;
      },
    };
  },
};

function saturated(ctx: SimContext, d: Deployment): boolean {
  const cur = ctx.store.peek(R.deployments, d.metadata.namespace, d.metadata.name) as Deployment | undefined;
  if (!cur) return false;
  const load = serviceLoad(ctx, cur);
  return (
    load.pods.some((p) => p.rps > load.model.capacityRpsPerPod) || !load.pods.some((p) => isPodReady(p.pod))
  );
}

/**
 * Kafka consumer lag: producers outpace the consumer group. Consumers beyond the partition count sit idle, so
 * only scaling the consumer Deployment up to the partition count (`add_kafka_consumers`) clears it.
 */
export const kafkaLag: FaultFamily = {
  family: "kafka_lag",
  variants: ["too_few_consumers", "hot_partition"],
  describe:
    "producers outpace the consumer group; lag grows per partition (hot_partition: one partition gets most messages; more consumers do not help)",
  inject(ctx, spec) {
    if (spec.variant === "hot_partition") return hotPartition(ctx, spec);
    const d = targetDeployment(ctx, spec.target);
    const ns = d.metadata.namespace!;
    const existing = [...ctx.world.kafka.values()].find(
      (x) => x.namespace === ns && x.consumerDeployment === d.metadata.name,
    );
    const group = String(spec.params?.group ?? existing?.group ?? d.metadata.name.replace(/-consumer$/, ""));
    const key = `${ns}/${group}`;
    const partitions = num(spec, "partitions", ctx.world.kafka.get(key)?.partitions ?? 6);
    const perConsumer = num(spec, "perConsumerRate", 100);
    const k = ctx.world.kafka.get(key) ?? {
      namespace: ns,
      group,
      topic: String(spec.params?.topic ?? group),
      partitions,
      produceRate: 0,
      perConsumerRate: perConsumer,
      consumerDeployment: d.metadata.name,
      lag: [],
    };
    k.partitions = partitions;
    k.perConsumerRate = perConsumer;
    k.lag = Array.from({ length: partitions }, (_, i) => k.lag[i] ?? 0);
    // Just below what a full group (one consumer per partition) handles.
    k.produceRate = perConsumer * (partitions - 0.5);
    ctx.world.kafka.set(key, k);
    return {
      cause: `topic ${k.topic} receives ${k.produceRate} msg/s; each of ${d.metadata.name}'s consumers handles ${perConsumer} msg/s over ${partitions} partitions`,
      clearedBy: `add_kafka_consumers (up to ${partitions})`,
      active: (c) => {
        const cur = c.store.peek(R.deployments, ns, d.metadata.name) as Deployment | undefined;
        const consumers = cur ? Math.min(partitions, podsOfDeployment(c, cur).filter(isPodReady).length) : 0;
        const capacity = consumers ? (partitions * perConsumer) / Math.ceil(partitions / consumers) : 0;
        return capacity < k.produceRate;
      },
      revert: (c) => {
        c.world.kafka.delete(key);
      },
    };
  },
};

/** Queue depth: arrivals outpace the workers; scaling the workers clears it. */
export const queueDepth: FaultFamily = {
  family: "queue_depth",
  variants: ["slow_workers"],
  describe: "messages arrive faster than the workers process them; the queue grows",
  inject(ctx, spec) {
    const d = targetDeployment(ctx, spec.target);
    const ns = d.metadata.namespace!;
    const existing = [...ctx.world.queues.values()].find(
      (x) => x.namespace === ns && x.workerDeployment === d.metadata.name,
    );
    const name = String(spec.params?.queue ?? existing?.name ?? d.metadata.name.replace(/-worker$/, ""));
    const key = `${ns}/${name}`;
    const perWorker = num(spec, "perWorkerRate", 20);
    const workers = podsOfDeployment(ctx, d).filter(isPodReady).length;
    const q = ctx.world.queues.get(key) ?? {
      namespace: ns,
      name,
      workerDeployment: d.metadata.name,
      arrivalRate: 0,
      perWorkerRate: perWorker,
      depth: 0,
    };
    q.perWorkerRate = perWorker;
    q.arrivalRate = perWorker * (Math.max(1, workers) + 1.5);
    ctx.world.queues.set(key, q);
    return {
      cause: `queue ${name} receives ${q.arrivalRate} msg/s; ${workers} workers of ${d.metadata.name} handle ${perWorker} msg/s each`,
      clearedBy: "scale_deployment (the workers)",
      active: (c) => {
        const cur = c.store.peek(R.deployments, ns, d.metadata.name) as Deployment | undefined;
        const n = cur ? podsOfDeployment(c, cur).filter(isPodReady).length : 0;
        return n * q.perWorkerRate <= q.arrivalRate;
      },
      revert: (c) => {
        c.world.queues.delete(key);
      },
    };
  },
};

/**
 * Upstream 429s: the service's calls exceed an upstream API's quota. Rate limiting its inbound traffic
 * (the ingress-nginx `limit-rps` annotation: `rate_limit_traffic`) clears it; more replicas make no difference.
 */
export const upstreamThrottling: FaultFamily = {
  family: "upstream_throttling",
  variants: ["quota_exceeded"],
  describe: "calls to an upstream API exceed its quota: 429s upstream, 503s and retries here",
  inject(ctx, spec) {
    const d = targetDeployment(ctx, spec.target);
    const ns = d.metadata.namespace!;
    const model = ctx.world.service(ns, d.metadata.name);
    const name = String(spec.params?.upstream ?? model.upstream?.name ?? "payments-api");
    model.upstream ??= { name, callsPerRequest: 1 };
    const calls = serviceLoad(ctx, d).admittedRps * model.upstream.callsPerRequest;
    const quota = num(spec, "quotaRps", Math.max(1, Math.floor(calls * 0.6)));
    ctx.world.upstreams.set(`${ns}/${name}`, { namespace: ns, name, quotaRps: quota });
    return {
      cause: `upstream ${name} allows ${quota} req/s; ${d.metadata.name} sends ${Math.round(calls)} req/s`,
      clearedBy: `rate_limit_traffic (ingress limit-rps ≤ ${Math.floor(quota / model.upstream.callsPerRequest)})`,
      active: (c) => {
        const cur = c.store.peek(R.deployments, ns, d.metadata.name) as Deployment | undefined;
        return !!cur && serviceLoad(c, cur).upstreamThrottledRatio > 0;
      },
      revert: (c) => {
        c.world.upstreams.delete(`${ns}/${name}`);
      },
    };
  },
};

/**
 * A hot partition: a skewed key sends `share` (default 0.7) of the topic's messages to one partition. Its one
 * consumer cannot keep up while the others idle; adding consumers changes nothing (a partition has at most one
 * consumer), so the fix is in the producers' keys, not in the catalog.
 */
function hotPartition(ctx: Parameters<FaultFamily["inject"]>[0], spec: Parameters<FaultFamily["inject"]>[1]) {
  const d = targetDeployment(ctx, spec.target);
  const ns = d.metadata.namespace!;
  const k = [...ctx.world.kafka.values()].find(
    (x) => x.namespace === ns && x.consumerDeployment === d.metadata.name,
  );
  if (!k)
    throw new ApiError(
      "BadRequest",
      `deployment ${d.metadata.name} consumes no Kafka topic (annotation kube-sim.aegisops.io/kafka)`,
    );
  const partition = num(spec, "partition", 0);
  const share = num(spec, "share", 0.7);
  k.hot = { partition, share };
  // Enough traffic that the hot partition's share is beyond one consumer, the rest well within.
  k.produceRate = Math.max(k.produceRate, (k.perConsumerRate * 1.5) / share);
  return {
    cause: `a skewed key sends ${Math.round(share * 100)}% of topic ${k.topic}'s messages to partition ${partition}`,
    clearedBy: "nothing in the catalog: the producers' keys (or a repartition) must change",
    active: (c: typeof ctx) => c.world.kafka.get(`${ns}/${k.group}`)?.hot !== undefined,
    revert: (c: typeof ctx) => {
      const cur = c.world.kafka.get(`${ns}/${k.group}`);
      if (cur) delete cur.hot;
    },
  };
}
