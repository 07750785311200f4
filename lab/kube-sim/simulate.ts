import type { SimContext } from "./controllers/context.ts";
import { R } from "./controllers/context.ts";
import { dbDelaySeconds, podsOfDeployment, serviceLoad } from "./load.ts";
import { isPodReady } from "./controllers/context.ts";
import type { Deployment } from "./types.ts";
import { isHung } from "./controllers/process.ts";
import { WORLD_ANNOTATION } from "./fixture.ts";
import { overallP95, requestParts } from "./routes.ts";
import { rateWithSinks, sinkDelaySeconds } from "./sinks.ts";

/** Histogram bucket bounds of http_request_duration_seconds. */
export const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const LOG_EVERY_MS = 10_000;

/** Renders a series key: name{l1="v1",...}. */
export function series(name: string, labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`,
  );
  return `${name}{${parts.join(",")}}`;
}

/** Reads the world annotations (see fixture.ts) of Deployments not seen before into the world's models. */
export function syncModels(ctx: SimContext): void {
  const seen = ctx.world.configured;
  for (const o of ctx.store.view(R.deployments)) {
    if (seen.has(o.metadata.uid!)) continue;
    seen.add(o.metadata.uid!);
    const ns = o.metadata.namespace!;
    const a = (k: string) => o.metadata.annotations?.[WORLD_ANNOTATION + k];
    const m = ctx.world.service(ns, o.metadata.name);
    if (a("rps") !== undefined) m.baseRps = Number(a("rps"));
    if (a("capacity-rps") !== undefined) m.capacityRpsPerPod = Number(a("capacity-rps"));
    if (a("database")) m.database = a("database");
    if (a("upstream")) m.upstream = { name: a("upstream")!, callsPerRequest: 1 };
    if (a("calls"))
      m.calls = a("calls")!
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean);
    if (m.database && !ctx.world.databases.has(`${ns}/${m.database}`)) {
      ctx.world.databases.set(`${ns}/${m.database}`, { namespace: ns, name: m.database, slowMs: 0 });
    }
    const kafka = a("kafka");
    if (kafka) {
      const [group = o.metadata.name, topic = group, partitions = "6", per = "100", produce] =
        kafka.split("/");
      const p = Number(partitions);
      ctx.world.kafka.set(`${ns}/${group}`, {
        namespace: ns,
        group,
        topic,
        partitions: p,
        perConsumerRate: Number(per),
        produceRate: produce !== undefined ? Number(produce) : Number(per) * 0.8,
        consumerDeployment: o.metadata.name,
        lag: Array.from({ length: p }, () => 0),
      });
    }
    const queue = a("queue");
    if (queue) {
      const [name = o.metadata.name, per = "20", arrival = "10"] = queue.split("/");
      ctx.world.queues.set(`${ns}/${name}`, {
        namespace: ns,
        name,
        workerDeployment: o.metadata.name,
        perWorkerRate: Number(per),
        arrivalRate: Number(arrival),
        depth: 0,
      });
    }
  }
}

/** Moves the simulated world forward by `dtMs`: traffic, counters, Kafka lag, queue depth and app logs. */
export function advanceWorld(ctx: SimContext, dtMs: number): void {
  if (dtMs <= 0) return;
  const dt = dtMs / 1000;
  const now = ctx.clock.now();
  const { world } = ctx;
  syncModels(ctx);
  // Each node sends 400 TCP segments/s; the share its NIC drops is sent again (retransmitted).
  for (const n of ctx.store.view(R.nodes)) {
    const name = n.metadata.name;
    const st = world.node(name);
    world.count(`outsegs/${name}`, 400 * dt);
    if (st.packetLoss > 0) world.count(`retrans/${name}`, st.packetLoss * 400 * dt);
  }
  for (const o of ctx.store.view(R.deployments)) {
    const d = o as Deployment;
    const ns = d.metadata.namespace!;
    const svc = d.metadata.labels?.app ?? d.metadata.name;
    const load = serviceLoad(ctx, d);
    for (const pl of load.pods) {
      const pod = pl.pod.metadata.name;
      const behaviour = pl.pod.spec.containers[0] ? ctx.world.behaviourOf(pl.pod.spec.containers[0]) : {};
      const parts = requestParts(pl, behaviour);
      for (const part of parts) {
        const base = { namespace: ns, service: svc, pod, ...part.labels };
        const total = pl.rps * dt * part.share;
        let failed = 0;
        for (const e of part.errors) {
          const n = total * Math.min(1, e.ratio);
          failed += n;
          world.count(series("http_requests_total", { ...base, code: e.code }), n);
        }
        world.count(series("http_requests_total", { ...base, code: "200" }), Math.max(0, total - failed));
        const shares: [number, number][] = [
          [0.8 * part.p50, 0.5],
          [(part.p50 + part.p95) / 2, 0.44],
          [part.p95, 0.05],
          [2 * part.p95, 0.01],
        ];
        for (const le of BUCKETS) {
          const n = shares.filter(([v]) => v <= le).reduce((a, [, s]) => a + s, 0) * total;
          world.count(series("http_request_duration_seconds_bucket", { ...base, le: String(le) }), n);
        }
        world.count(series("http_request_duration_seconds_bucket", { ...base, le: "+Inf" }), total);
        world.count(series("http_request_duration_seconds_count", base), total);
        world.count(
          series("http_request_duration_seconds_sum", base),
          shares.reduce((a, [v, s]) => a + v * s, 0) * total,
        );
      }
      // CPU (cAdvisor's counters): what the process gets, and the CFS periods its quota throttled.
      const c = pl.pod.spec.containers[0];
      const rt = world.runtimes.get(pl.pod.metadata.uid!);
      const cr = c ? rt?.containers.get(c.name) : undefined;
      if (cr && cr.state === "running") {
        cr.cpuSeconds += pl.cpu.usage * dt;
        if (pl.cpu.limit !== undefined) {
          const cfs = (cr.cfs ??= { periods: 0, throttled: 0, throttledSeconds: 0 });
          const periods = dt / 0.1;
          cfs.periods += periods;
          const share =
            pl.cpu.throttle > 0
              ? Math.min(1, 0.5 + pl.cpu.throttle)
              : pl.cpu.usage > 0.8 * pl.cpu.limit
                ? 0.05
                : 0;
          cfs.throttled += periods * share;
          cfs.throttledSeconds += Math.max(0, pl.cpu.demand - pl.cpu.limit) * dt;
        }
      }
      // A hung process (world.hung) writes nothing more.
      if (
        rt &&
        c &&
        cr?.state === "running" &&
        !pl.silent &&
        !isHung(ctx, pl.pod) &&
        now - rt.lastLogAt >= LOG_EVERY_MS
      ) {
        rt.lastLogAt = now;
        const errs = pl.errors.reduce((a, e) => a + e.ratio, 0);
        const stamp = new Date(now).toISOString();
        ctx.logs.append(
          pl.pod.metadata.uid!,
          c.name,
          `${stamp} INFO served ${Math.round(pl.rps * (LOG_EVERY_MS / 1000))} requests in 10s (errors ${(errs * 100).toFixed(1)}%, p95 ${Math.round(overallP95(parts) * 1000)}ms)`,
          ...pl.notes.map((n) => `${stamp} ${n}`),
        );
      }
    }
    if (load.model.upstream) {
      const base = { namespace: ns, service: svc, upstream: load.model.upstream.name };
      const calls = load.upstreamCalls * dt;
      world.count(
        series("upstream_requests_total", { ...base, code: "429" }),
        calls * load.upstreamThrottledRatio,
      );
      world.count(
        series("upstream_requests_total", { ...base, code: "200" }),
        calls * (1 - load.upstreamThrottledRatio),
      );
    }
    if (load.rateLimitRps !== undefined && load.offeredRps > load.admittedRps) {
      world.count(
        series("nginx_ingress_controller_requests", { namespace: ns, service: svc, status: "503" }),
        (load.offeredRps - load.admittedRps) * dt,
      );
    }
  }
  for (const k of world.kafka.values()) {
    const d = ctx.store.peek(R.deployments, k.namespace, k.consumerDeployment) as Deployment | undefined;
    const consumers = d ? podsOfDeployment(ctx, d).filter(isPodReady).length : 0;
    const active = Math.min(consumers, k.partitions);
    // A consumer that writes each message to a slow database handles fewer per second (10 ms of work each).
    const dbDelay = dbDelaySeconds(ctx, k.namespace, k.consumerDeployment);
    const dbRate = dbDelay > 0 ? k.perConsumerRate / (1 + dbDelay / 0.01) : k.perConsumerRate;
    // A consumer that writes each message to a service (its `calls`: a search index, an API) waits on it too.
    const rate = rateWithSinks(dbRate, sinkDelaySeconds(ctx, k.namespace, k.consumerDeployment));
    // Each partition belongs to one consumer; a consumer splits its throughput over its partitions.
    for (let i = 0; i < k.partitions; i++) {
      // A hot partition (skewed key) gets `share` of all messages; the others split the rest.
      const inShare = k.hot
        ? i === k.hot.partition
          ? k.hot.share
          : (1 - k.hot.share) / Math.max(1, k.partitions - 1)
        : 1 / k.partitions;
      const share = active ? Math.ceil(k.partitions / active) : 0;
      const out = active ? (rate / Math.max(1, share)) * dt : 0;
      k.lag[i] = Math.max(0, (k.lag[i] ?? 0) + k.produceRate * inShare * dt - out);
    }
  }
  for (const q of world.queues.values()) {
    const d = ctx.store.peek(R.deployments, q.namespace, q.workerDeployment) as Deployment | undefined;
    const workers = d ? podsOfDeployment(ctx, d).filter(isPodReady).length : 0;
    // A worker that writes each job to a service (its `calls`) waits on that sink as a consumer does.
    const perWorker = rateWithSinks(q.perWorkerRate, sinkDelaySeconds(ctx, q.namespace, q.workerDeployment));
    q.depth = Math.max(0, q.depth + (q.arrivalRate - workers * perWorker) * dt);
  }
}
