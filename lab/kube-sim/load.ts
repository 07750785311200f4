import { R, isActive, isPodReady } from "./controllers/context.ts";
import type { SimContext } from "./controllers/context.ts";
import { selectorMatches } from "./http/selectors.ts";
import type { Deployment, KubeObject, Pod } from "./types.ts";
import type { ServiceModel } from "./world.ts";
import { parseCpu } from "./world.ts";
import { resolveEnv } from "./controllers/containerConfig.ts";
import { dependencyStatus, isHung } from "./controllers/process.ts";
import { httpFaultsOf, packetLossOf } from "./podEffects.ts";
import { generatedRps } from "./generatedLoad.ts";
import { refusedKubeApiCalls } from "./controllers/workloadRbac.ts";

/** How one pod of a service is doing right now. */
export interface PodLoad {
  pod: Pod;
  rps: number;
  /** CPU as a percentage of the container's request (what the HPA reads). */
  cpuPercent: number;
  /** CPU the process wants and gets (cores), and the share of it the CFS quota withholds (0..1). */
  cpu: { demand: number; usage: number; limit: number | undefined; throttle: number };
  /** Share of requests answered 5xx, by code (`route`: only that route's requests fail so). */
  errors: { code: string; ratio: number; route?: string }[];
  p50: number;
  p95: number;
  /** Notes for the app's log: what the app itself would see. */
  notes: string[];
  /** The process listens on nothing and writes nothing (the pause image): it serves no requests. */
  silent?: boolean;
}

/** How a service (a Deployment) is doing right now. */
export interface ServiceLoad {
  model: ServiceModel;
  deployment: Deployment;
  offeredRps: number;
  admittedRps: number;
  rateLimitRps?: number;
  pods: PodLoad[];
  upstreamCalls: number;
  upstreamThrottledRatio: number;
}

/** Pods of a Deployment that count (active, matching its selector). */
export function podsOfDeployment(ctx: SimContext, d: Deployment): Pod[] {
  return (ctx.store.view(R.pods, d.metadata.namespace) as readonly Pod[]).filter(
    (p) => isActive(p) && selectorMatches(d.spec.selector, p.metadata.labels),
  );
}

function deploymentLabelsMatch(sel: Record<string, string> | undefined, d: Deployment): boolean {
  if (!sel || Object.keys(sel).length === 0) return false;
  const labels = d.spec.template.metadata?.labels ?? {};
  return Object.entries(sel).every(([k, v]) => labels[k] === v);
}

/** The Service objects that route to a Deployment's pods. */
export function servicesFor(ctx: SimContext, d: Deployment): KubeObject[] {
  return ctx.store
    .list(R.services, d.metadata.namespace)
    .filter((s) => deploymentLabelsMatch((s.spec as { selector?: Record<string, string> }).selector, d));
}

/** The ingress-nginx `limit-rps` annotation on an Ingress that routes to the Deployment, if any. */
export function rateLimitFor(ctx: SimContext, d: Deployment): number | undefined {
  const names = new Set(servicesFor(ctx, d).map((s) => s.metadata.name));
  for (const ing of ctx.store.view(R.ingresses, d.metadata.namespace)) {
    const limit = ing.metadata.annotations?.["nginx.ingress.kubernetes.io/limit-rps"];
    if (!limit) continue;
    const text = JSON.stringify(ing.spec ?? {});
    if ([...names].some((n) => text.includes(`"name":"${n}"`))) return Number(limit);
  }
  return undefined;
}

/** The role (`primary` / `secondary`) a database's Service currently selects. */
export function selectedDbRole(ctx: SimContext, ns: string, db: string): string | undefined {
  const svc = ctx.store.peek(R.services, ns, db);
  return (svc?.spec as { selector?: Record<string, string> } | undefined)?.selector?.role;
}

/** Computes the current load, latency and errors of a Deployment from the world's causes. */
export function serviceLoad(ctx: SimContext, d: Deployment): ServiceLoad {
  const ns = d.metadata.namespace!;
  const model = ctx.world.service(ns, d.metadata.name);
  const pods = podsOfDeployment(ctx, d);
  const ready = pods.filter(isPodReady);
  const offered = model.baseRps * model.trafficFactor + generatedRps(ctx, d);
  const limit = rateLimitFor(ctx, d);
  const admitted = limit !== undefined ? Math.min(offered, limit) : offered;
  const perPod = ready.length ? admitted / ready.length : 0;

  let dbExtra = 0;
  let dbNote: string | undefined;
  if (model.database) {
    const db = ctx.world.databases.get(`${ns}/${model.database}`);
    const role = selectedDbRole(ctx, ns, model.database);
    if (db?.slowRole && role === db.slowRole) {
      dbExtra = db.slowMs / 1000;
      dbNote = `WARN slow query on ${model.database} (${role}): SELECT took ${db.slowMs}ms`;
    }
  }
  let upstreamCalls = 0;
  let throttled = 0;
  if (model.upstream) {
    const up = ctx.world.upstreams.get(`${ns}/${model.upstream.name}`);
    upstreamCalls = admitted * model.upstream.callsPerRequest;
    if (up && upstreamCalls > up.quotaRps) throttled = 1 - up.quotaRps / upstreamCalls;
  }
  // Packet loss on the paths to the services this one calls.
  let lossRatio = 0;
  let calleeErrorRatio = 0;
  let calleeDelay = 0;
  const lossNotes: string[] = [];
  for (const callee of model.calls) {
    const cd = ctx.store.peek(R.deployments, ns, callee) as Deployment | undefined;
    if (!cd) continue;
    const cpods = podsOfDeployment(ctx, cd).filter(isPodReady);
    if (!cpods.length) continue;
    const lossy = cpods.map((p) =>
      Math.max(ctx.world.node(p.spec.nodeName ?? "").packetLoss, packetLossOf(ctx.world.effectsOn(p))),
    );
    const avg = lossy.reduce((a, b) => a + b, 0) / cpods.length;
    if (avg > 0) {
      lossRatio = Math.max(lossRatio, avg);
      lossNotes.push(`WARN call to ${callee} timed out after 3 retransmissions (connection reset by peer)`);
    }
    // A callee waiting on its slow database answers slowly: the caller's latency follows.
    const calleeDb = dbDelaySeconds(ctx, ns, callee);
    if (calleeDb > 0) {
      calleeDelay = Math.max(calleeDelay, calleeDb);
      lossNotes.push(`WARN call to ${callee} slow: took ${Math.round(calleeDb * 1000)}ms`);
    }
    // The callee's own bug: its 500s reach the caller as failed calls, answered 502 here.
    const buggy = cpods.map((p) =>
      p.spec.containers[0] ? ctx.world.behaviourOf(p.spec.containers[0], p) : {},
    );
    // A callee whose release answers slowly keeps the caller waiting as long (nothing in the caller's logs says so).
    const calleeSlow =
      (buggy.reduce((a, b) => a + (b.latencyMs ?? 0), 0) +
        cpods.reduce((a, p) => a + ctx.world.effectsOn(p).reduce((n, e) => n + (e.netDelayMs ?? 0), 0), 0)) /
      cpods.length /
      1000;
    if (calleeSlow > 0) calleeDelay = Math.max(calleeDelay, calleeDb + calleeSlow);
    const calleeErrors = buggy.reduce((a, b) => a + (b.errorRatio ?? 0), 0) / cpods.length;
    if (calleeErrors > 0) {
      calleeErrorRatio = Math.max(calleeErrorRatio, calleeErrors);
      lossNotes.push(`WARN call to ${callee} failed: HTTP 500 from ${callee}`);
    }
  }

  const podLoads: PodLoad[] = pods.map((pod) => {
    const isReady = isPodReady(pod);
    const c = pod.spec.containers[0];
    const behaviour = c ? ctx.world.behaviourOf(c, pod) : {};
    // A process that listens on nothing (the pause image) is sent requests, but the connections are refused.
    const silent = behaviour.port === 0;
    const rps = isReady && !silent ? perPod : 0;
    const cap = model.capacityRpsPerPod;
    const request = parseCpu(c?.resources?.requests?.cpu) ?? 0.1;
    const cpuLimit = parseCpu(c?.resources?.limits?.cpu);
    const loadPercent = Math.min(300, (rps / cap) * 70);
    const demand =
      behaviour.cpuMillicores !== undefined
        ? (behaviour.cpuMillicores / 1000) * (model.trafficFactor || 1)
        : (request * Math.max(loadPercent, 2)) / 100;
    const usage = cpuLimit !== undefined ? Math.min(demand, cpuLimit) : demand;
    const throttle = cpuLimit !== undefined && demand > cpuLimit ? 1 - cpuLimit / demand : 0;
    const gc = ctx.world.degraded.get(pod.metadata.uid!)?.mode === "gc_thrash" ? 4 : 1;
    const cpuPercent =
      gc > 1
        ? Math.max(250, Math.round(loadPercent * gc))
        : behaviour.cpuMillicores !== undefined || throttle > 0
          ? Math.round((usage / request) * 100)
          : Math.round(loadPercent);
    const errors: PodLoad["errors"] = [];
    const notes: string[] = [];
    let p50 = 0.02;
    let p95 = 0.06;
    if (rps > cap) {
      const shed = 1 - cap / rps;
      errors.push({ code: "503", ratio: shed });
      p50 *= 1 + 4 * (rps / cap - 1);
      p95 *= 1 + 8 * (rps / cap - 1);
      notes.push(
        `WARN worker pool saturated: ${Math.round(rps)} req/s offered, capacity ${cap} req/s; shedding load (503)`,
      );
    }
    if (behaviour.errorRatio) {
      errors.push({ code: "500", ratio: behaviour.errorRatio });
      notes.push(
        `ERROR unhandled exception in request handler: TypeError: Cannot read properties of undefined (reading 'id')`,
      );
    }
    if (throttle > 0 && isReady) {
      // Work waits for the next CFS period: every request takes demand/limit times longer.
      const slow = demand / cpuLimit!;
      p50 *= slow;
      p95 *= slow * 1.5;
      notes.push(`WARN request handling slow: event loop delay ${Math.round(100 * slow)}ms`);
    }
    if (behaviour.latencyMs) {
      p50 += behaviour.latencyMs / 1000;
      p95 += (behaviour.latencyMs / 1000) * 2;
    }
    const degraded = ctx.world.degraded.get(pod.metadata.uid!);
    if (isReady && degraded?.mode === "gc_thrash") {
      // Stop-the-world collections back to back: every request waits for them, the CPU goes to the collector.
      p50 *= 8;
      p95 = p95 * 30 + 1.5;
      notes.push(
        `WARN [gc] GC(${Math.floor((ctx.clock.now() - degraded.since) / 700)}) Pause Full (Allocation Failure) 1890M->1874M(2048M) 2143.512ms`,
        `WARN [gc] GC overhead: 92% of the last 60s spent in garbage collection`,
      );
    }
    if (isReady && degraded?.mode === "stuck_pool") {
      // Every connection of the pool leaked: requests wait out the pool's timeout, then fail.
      errors.push({ code: "503", ratio: 0.9 });
      p50 = 30;
      p95 = 30;
      notes.push(
        "ERROR HikariPool-1 - Connection is not available, request timed out after 30000ms (total=10, active=10, idle=0, waiting=48)",
      );
    }
    if (isReady && isHung(ctx, pod)) {
      // Connections are accepted but never answered: callers time out.
      errors.push({ code: "504", ratio: 1 });
      p50 = 10;
      p95 = 10;
    }
    if (isReady && behaviour.logs) notes.push(...behaviour.logs);
    for (const r of behaviour.routes ?? []) {
      if (r.errorRatio > 0) errors.push({ code: r.code, ratio: r.errorRatio * r.share, route: r.path });
      if (r.log) notes.push(r.log);
    }
    // Calls to the Kubernetes API its ServiceAccount may not make: failed requests, or a retry loop's lines.
    for (const refusal of isReady || pod.status?.phase === "Running"
      ? refusedKubeApiCalls(ctx, pod, behaviour)
      : []) {
      if (refusal.call.onForbidden === "errors") errors.push({ code: "500", ratio: refusal.call.share });
      if (refusal.call.onForbidden !== "exit") notes.push(...refusal.logs);
    }
    for (const dep of behaviour.dependsOn ?? []) {
      const env = resolveEnv(ctx, pod, c!);
      const st = dependencyStatus(ctx, pod, dep, env.ok ? env.env : {});
      if (!st.ok) {
        errors.push({ code: "503", ratio: dep.share });
        notes.push(`ERROR request failed: cannot reach ${st.host}: ${st.message}`);
      } else if (st.backends?.length) {
        // Delays put on the dependency's traffic from outside its image (network rules, an HTTP proxy).
        const delay = st.backends.reduce((a, b) => a + effectDelayMs(ctx, b), 0) / st.backends.length / 1000;
        if (delay > 0) {
          p50 += delay * dep.share;
          p95 += delay;
          notes.push(`WARN call to ${st.host} slow: took ${Math.round(delay * 1000)}ms`);
        }
      }
    }
    // A request body replaced on its way in: the handler fails on it (HTTPChaos patch/replace).
    if (isReady && httpFaultsOf(ctx.world.effectsOn(pod)).some((f) => f.tamper)) {
      errors.push({ code: "500", ratio: 1 });
      notes.push(
        "ERROR request failed with 500: the request body does not have the fields the handler reads",
      );
    }
    if (ctx.world.node(pod.spec.nodeName ?? "").noisy) {
      p50 *= 6;
      p95 *= 15;
      notes.push(`WARN request handling slow: event loop delay 450ms (cpu throttled)`);
    }
    if (dbExtra) {
      p50 += dbExtra * 0.6;
      p95 += dbExtra;
      notes.push(dbNote!);
    }
    if (throttled > 0) {
      errors.push({ code: "503", ratio: throttled * 0.5 });
      p95 += 0.4;
      notes.push(`ERROR upstream ${model.upstream!.name} returned 429 Too Many Requests (retry-after: 1)`);
    }
    if (calleeDelay > 0) {
      p50 += calleeDelay * 0.6;
      p95 += calleeDelay;
      if (lossRatio === 0 && calleeErrorRatio === 0) notes.push(...lossNotes);
    }
    if (lossRatio > 0 || calleeErrorRatio > 0) {
      errors.push({ code: "502", ratio: Math.min(1, lossRatio * 0.5 + calleeErrorRatio) });
      if (lossRatio > 0) p95 += 0.2 + lossRatio;
      notes.push(...lossNotes);
    }
    // A server behind a NIC that drops packets sees its clients' connections stall and reset.
    const nicLoss = ctx.world.node(pod.spec.nodeName ?? "").packetLoss;
    if (isReady && nicLoss > 0) {
      notes.push(
        `WARN tcp: ${Math.round(nicLoss * 400)} segments retransmitted to clients in 10s; client connection reset by peer`,
      );
    }
    return {
      pod,
      rps,
      cpuPercent,
      cpu: { demand, usage, limit: cpuLimit, throttle },
      errors,
      p50,
      p95,
      notes: silent ? [] : notes,
      ...(silent ? { silent } : {}),
    };
  });
  // Consumers and workers say what they see of their backlog.
  const backlogNotes: string[] = [];
  for (const k of ctx.world.kafka.values()) {
    if (k.namespace !== ns || k.consumerDeployment !== d.metadata.name) continue;
    const lag = Math.round(k.lag.reduce((a, b) => a + b, 0));
    const consumers = Math.min(ready.length, k.partitions);
    if (lag > 0) {
      backlogNotes.push(
        `WARN consumer group ${k.group}: lag ${lag} messages on topic ${k.topic} (${consumers} active consumers for ${k.partitions} partitions)`,
      );
    }
  }
  for (const q of ctx.world.queues.values()) {
    if (q.namespace !== ns || q.workerDeployment !== d.metadata.name || q.depth < 1) continue;
    backlogNotes.push(
      `WARN queue ${q.name}: ${Math.round(q.depth)} messages waiting; processing ${q.perWorkerRate} msg/s per worker`,
    );
  }
  if (backlogNotes.length) for (const pl of podLoads) pl.notes.push(...backlogNotes);
  return {
    model,
    deployment: d,
    offeredRps: offered,
    admittedRps: admitted,
    rateLimitRps: limit,
    pods: podLoads,
    upstreamCalls,
    upstreamThrottledRatio: throttled,
  };
}

/**
 * Extra seconds a request of a Deployment waits on its database (`kube-sim.aegisops.io/database`) when the
 * instance its Service selects is slow; 0 otherwise.
 */
export function dbDelaySeconds(ctx: SimContext, ns: string, deployment: string): number {
  const model = ctx.world.services.get(`${ns}/${deployment}`);
  const name = model?.database;
  if (!name) return 0;
  const db = ctx.world.databases.get(`${ns}/${name}`);
  return db?.slowRole && selectedDbRole(ctx, ns, name) === db.slowRole ? db.slowMs / 1000 : 0;
}

/** Average CPU utilization (% of request) over the ready pods of a Deployment; what the HPA scales on. */
export function cpuUtilization(ctx: SimContext, d: Deployment): number | undefined {
  const load = serviceLoad(ctx, d);
  const ready = load.pods.filter((p) => isPodReady(p.pod));
  if (!ready.length) return undefined;
  return Math.round(ready.reduce((n, p) => n + p.cpuPercent, 0) / ready.length);
}

/** Extra milliseconds a call to this pod waits because of what acts on its traffic (network delay, an HTTP proxy). */
function effectDelayMs(ctx: SimContext, pod: Pod): number {
  const fx = ctx.world.effectsOn(pod);
  const net = fx.reduce((a, e) => a + (e.netDelayMs ?? 0) + (e.behaviour?.latencyMs ?? 0), 0);
  return net + httpFaultsOf(fx).reduce((a, f) => a + (f.delayMs ?? 0), 0);
}
