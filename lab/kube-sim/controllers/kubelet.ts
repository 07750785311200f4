import { rfc3339 } from "../clock.ts";
import type { Condition, Container, ContainerState, ContainerStatus, Node, Pod } from "../types.ts";
import type { ContainerRuntime, PodRuntime } from "../world.ts";
import { World, appOf, parseBytes } from "../world.ts";
import type { SimContext } from "./context.ts";
import { R, isActive, save } from "./context.ts";

const MAX_BACKOFF_MS = 300_000;
const MiB = 1024 * 1024;
const PROBE_PERIOD_MS = 10_000;

/** Secrets a pod needs to start its containers (env, envFrom, volumes). */
export function secretsOf(p: Pod): string[] {
  const names = new Set<string>();
  for (const c of p.spec.containers) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) names.add(e.valueFrom.secretKeyRef.name);
    for (const e of c.envFrom ?? []) if (e.secretRef) names.add(e.secretRef.name);
  }
  for (const v of p.spec.volumes ?? []) if (v.secret?.secretName) names.add(v.secret.secretName);
  return [...names];
}

function missingSecret(ctx: SimContext, p: Pod): string | undefined {
  return secretsOf(p).find((s) => !ctx.store.peek(R.secrets, p.metadata.namespace, s));
}

const ts = (ms: number) => new Date(ms).toISOString();

/** The simulated kubelets: start containers, crash and restart them with back-off, OOM-kill leaks, write status and logs. */
export function runKubelets(ctx: SimContext): void {
  const nodes = new Map(
    (ctx.store.view(R.nodes) as readonly Node[]).map((n, i) => [n.metadata.name, { n, i }]),
  );
  const live = new Set<string>();
  for (const o of ctx.store.view(R.pods)) {
    const p = o as Pod;
    live.add(p.metadata.uid!);
    if (p.metadata.deletionTimestamp) reportUnkillable(ctx, p);
    if (!p.spec.nodeName || !isActive(p)) continue;
    const node = nodes.get(p.spec.nodeName);
    if (!node) continue;
    if (ctx.world.node(p.spec.nodeName).kubeletDown) continue;
    syncPod(ctx, p, node.n, node.i);
  }
  for (const uid of ctx.world.runtimes.keys()) if (!live.has(uid)) ctx.world.runtimes.delete(uid);
}

function runtimeOf(ctx: SimContext, p: Pod, nodeIndex: number): PodRuntime {
  let rt = ctx.world.runtimes.get(p.metadata.uid!);
  if (!rt) {
    rt = {
      scheduledAt: ctx.clock.now(),
      ip: ctx.world.nextPodIP(nodeIndex),
      containers: new Map(),
      lastLogAt: ctx.clock.now(),
    };
    ctx.world.runtimes.set(p.metadata.uid!, rt);
  }
  return rt;
}

function syncPod(ctx: SimContext, p: Pod, node: Node, nodeIndex: number): void {
  const now = ctx.clock.now();
  const rt = runtimeOf(ctx, p, nodeIndex);
  const starting = now < rt.scheduledAt + ctx.timings.podStartMs;
  for (const c of p.spec.containers) {
    let cr = rt.containers.get(c.name);
    if (!cr) {
      cr = {
        state: "waiting",
        startedAt: 0,
        nextStartAt: rt.scheduledAt + ctx.timings.podStartMs,
        backoffMs: 0,
        restartCount: 0,
        memBytes: 0,
        started: false,
        waitingReason: "ContainerCreating",
        cpuSeconds: 0,
      };
      rt.containers.set(c.name, cr);
    }
    if (!starting) stepContainer(ctx, p, c, cr, now);
  }
  writeStatus(ctx, p, node, rt, now);
}

function stepContainer(ctx: SimContext, p: Pod, c: Container, cr: ContainerRuntime, now: number): void {
  const uid = p.metadata.uid!;
  const app = appOf(p);
  if (cr.state === "waiting") {
    if (now < cr.nextStartAt) return;
    const missing = missingSecret(ctx, p);
    if (missing) {
      const msg = `secret "${missing}" not found`;
      if (cr.waitingReason !== "CreateContainerConfigError")
        ctx.events.record(p, "Warning", "Failed", `Error: ${msg}`, "kubelet", p.spec.nodeName);
      cr.waitingReason = "CreateContainerConfigError";
      cr.waitingMessage = msg;
      return;
    }
    if (cr.lastTerminated) ctx.logs.restarted(uid, c.name);
    if (!cr.started && !cr.lastTerminated) {
      ctx.events.record(
        p,
        "Normal",
        "Pulled",
        `Container image "${c.image}" already present on machine`,
        "kubelet",
        p.spec.nodeName,
      );
    }
    ctx.events.record(p, "Normal", "Created", `Created container ${c.name}`, "kubelet", p.spec.nodeName);
    ctx.events.record(p, "Normal", "Started", `Started container ${c.name}`, "kubelet", p.spec.nodeName);
    cr.state = "running";
    cr.started = true;
    cr.startedAt = now;
    cr.memBytes = World.baseMemory();
    cr.waitingReason = "";
    cr.waitingMessage = undefined;
    ctx.logs.append(
      uid,
      c.name,
      `${ts(now)} INFO starting ${app} (image ${c.image ?? "unknown"})`,
      `${ts(now)} INFO listening on :8080`,
    );
    return;
  }
  // Running.
  const b = ctx.world.behaviourOf(c);
  if (b.crash && now - cr.startedAt >= ctx.timings.crashAfterMs) {
    ctx.logs.append(uid, c.name, ...b.crash.logs.map((l) => `${ts(now)} ${l}`));
    terminate(ctx, p, c, cr, now, b.crash.exitCode, "Error");
    return;
  }
  const missing = missingSecret(ctx, p);
  if (missing) {
    // The app re-reads its credentials when they rotate; with the Secret gone it cannot and exits.
    ctx.logs.append(
      uid,
      c.name,
      `${ts(now)} ERROR reloading credentials: secret "${missing}" not found (mounted keys removed)`,
      `${ts(now)} FATAL cannot authenticate to dependencies, exiting`,
    );
    terminate(ctx, p, c, cr, now, 1, "Error");
    return;
  }
  const limit = parseBytes(c.resources?.limits?.memory);
  const up = now - cr.startedAt;
  cr.memBytes =
    World.baseMemory() +
    (b.leakMiBPerMin ? (up / 60_000) * b.leakMiBPerMin * MiB : 0) +
    (b.cache ? Math.min(1, up / b.cache.warmMs) * b.cache.mib * MiB : 0);
  if (limit !== undefined && cr.memBytes >= limit) {
    ctx.logs.append(
      uid,
      c.name,
      `${ts(now)} WARN heap usage ${Math.round(cr.memBytes / MiB)}Mi of ${Math.round(limit / MiB)}Mi limit`,
    );
    ctx.events.record(
      node(ctx, p),
      "Warning",
      "OOMKilling",
      `Memory cgroup out of memory: Killed process (${app}) in container ${c.name} of pod ${p.metadata.name}`,
      "kernel-monitor",
      p.spec.nodeName,
    );
    cr.memBytes = limit;
    terminate(ctx, p, c, cr, now, 137, "OOMKilled");
  }
}

function node(ctx: SimContext, p: Pod): Node {
  return ctx.store.mustGet(R.nodes, undefined, p.spec.nodeName!) as Node;
}

function terminate(
  ctx: SimContext,
  p: Pod,
  c: Container,
  cr: ContainerRuntime,
  now: number,
  exitCode: number,
  reason: string,
): void {
  cr.lastTerminated = { exitCode, reason, startedAt: cr.startedAt, finishedAt: now };
  ctx.logs.terminated(p.metadata.uid!, c.name);
  cr.restartCount += 1;
  // The back-off resets after a container ran ten minutes without trouble, as the kubelet's does.
  cr.backoffMs =
    now - cr.startedAt > 600_000 || cr.backoffMs === 0
      ? ctx.timings.backoffBaseMs
      : Math.min(cr.backoffMs * 2, MAX_BACKOFF_MS);
  cr.nextStartAt = now + cr.backoffMs;
  cr.state = "waiting";
  cr.waitingReason = "CrashLoopBackOff";
  cr.waitingMessage = `back-off ${Math.round(cr.backoffMs / 1000)}s restarting failed container=${c.name} pod=${p.metadata.name}_${p.metadata.namespace}(${p.metadata.uid})`;
  ctx.events.record(
    p,
    "Warning",
    "BackOff",
    `Back-off restarting failed container ${c.name} in pod ${p.metadata.name}_${p.metadata.namespace}(${p.metadata.uid})`,
    "kubelet",
    p.spec.nodeName,
  );
}

function stateOf(cr: ContainerRuntime): ContainerState {
  if (cr.state === "running") return { running: { startedAt: rfc3339(cr.startedAt) } };
  return {
    waiting: { reason: cr.waitingReason, ...(cr.waitingMessage ? { message: cr.waitingMessage } : {}) },
  };
}

/** Past its grace period, the kubelet keeps failing to kill a hung process and says so (every 10 s). */
function reportUnkillable(ctx: SimContext, p: Pod): void {
  const h = ctx.world.hung.get(p.metadata.uid!);
  const now = ctx.clock.now();
  if (!h || !p.spec.nodeName || now < Date.parse(p.metadata.deletionTimestamp!)) return;
  if (now - h.lastProbeAt < PROBE_PERIOD_MS) return;
  h.lastProbeAt = now;
  const c = p.spec.containers[0]?.name ?? "";
  ctx.events.record(
    p,
    "Warning",
    "FailedKillPod",
    `error killing pod: failed to "KillContainer" for "${c}" with KillContainerError: "rpc error: code = DeadlineExceeded desc = context deadline exceeded"`,
    "kubelet",
    p.spec.nodeName,
  );
}

/** A hung process answers no probe: the kubelet marks it unready and reports each failed probe (every 10 s). */
function probeHung(ctx: SimContext, p: Pod, rt: PodRuntime, now: number): boolean {
  const h = ctx.world.hung.get(p.metadata.uid!);
  if (!h) return false;
  if (now - h.lastProbeAt >= PROBE_PERIOD_MS) {
    h.lastProbeAt = now;
    ctx.events.record(
      p,
      "Warning",
      "Unhealthy",
      `Readiness probe failed: Get "http://${rt.ip}:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
      "kubelet",
      p.spec.nodeName,
    );
  }
  return true;
}

function writeStatus(ctx: SimContext, p: Pod, node: Node, rt: PodRuntime, now: number): void {
  const nodeReady =
    node.status?.conditions?.find((c) => c.type === "Ready")?.status === "True" &&
    !probeHung(ctx, p, rt, now);
  const statuses: ContainerStatus[] = p.spec.containers.map((c) => {
    const cr = rt.containers.get(c.name)!;
    const lt = cr.lastTerminated;
    return {
      name: c.name,
      image: c.image ?? "",
      imageID: `docker-pullable://${c.image ?? ""}`,
      ...(cr.started
        ? { containerID: `containerd://${p.metadata.uid!.replace(/-/g, "")}${cr.restartCount}` }
        : {}),
      ready: cr.state === "running" && nodeReady && now - cr.startedAt >= ctx.timings.readyDelayMs,
      started: cr.state === "running",
      restartCount: cr.restartCount,
      state: stateOf(cr),
      lastState: lt
        ? {
            terminated: {
              exitCode: lt.exitCode,
              reason: lt.reason,
              startedAt: rfc3339(lt.startedAt),
              finishedAt: rfc3339(lt.finishedAt),
            },
          }
        : {},
    };
  });
  const allReady = statuses.every((s) => s.ready);
  const prev = p.status?.conditions ?? [];
  const cond = (type: string, ok: boolean, reason?: string): Condition => {
    const old = prev.find((c) => c.type === type);
    const status = ok ? "True" : "False";
    return {
      type,
      status,
      ...(reason && !ok ? { reason } : {}),
      lastProbeTime: null,
      lastTransitionTime: old && old.status === status ? old.lastTransitionTime : rfc3339(now),
    };
  };
  const anyStarted = statuses.some((s) => s.started || s.restartCount > 0);
  const status: Pod["status"] = {
    ...p.status,
    phase: anyStarted ? "Running" : "Pending",
    conditions: [
      cond("PodReadyToStartContainers", now >= rt.scheduledAt + ctx.timings.podStartMs),
      cond("Initialized", true),
      cond("Ready", allReady, "ContainersNotReady"),
      cond("ContainersReady", allReady, "ContainersNotReady"),
      cond("PodScheduled", true),
    ],
    hostIP: node.status?.addresses?.find((a) => a.type === "InternalIP")?.address,
    podIP: rt.ip,
    podIPs: [{ ip: rt.ip }],
    startTime: p.status?.startTime ?? rfc3339(rt.scheduledAt),
    containerStatuses: statuses,
    qosClass: p.status?.qosClass ?? "BestEffort",
  };
  if (JSON.stringify(status) !== JSON.stringify(p.status)) {
    save(ctx, R.pods, { ...p, status });
  }
}
