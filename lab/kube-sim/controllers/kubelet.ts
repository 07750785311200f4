import { rfc3339 } from "../clock.ts";
import { rejectedByKubelet } from "./kubeletAdmission.ts";
import type { Condition, Container, ContainerState, ContainerStatus, Node, Pod } from "../types.ts";
import type { ContainerRuntime, PodRuntime } from "../world.ts";
import { World, appOf, parseBytes } from "../world.ts";
import type { SimContext } from "./context.ts";
import { R, isActive, save } from "./context.ts";
import { mountedFiles, resolveEnv, volumeError } from "./containerConfig.ts";
import { listenPort, startOutcome } from "./process.ts";
import { stepProbe } from "./probes.ts";
import { pullErrorMessage } from "../registry.ts";

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
    const st = ctx.world.node(p.spec.nodeName);
    if (st.kubeletDown) continue;
    if (!ctx.world.runtimes.has(p.metadata.uid!) && rejectedByKubelet(ctx, p, node.n)) continue;
    if (st.networkUnavailable && !ctx.world.runtimes.has(p.metadata.uid!)) {
      sandboxFailed(ctx, p);
      continue;
    }
    syncPod(ctx, p, node.n, node.i);
  }
  for (const uid of ctx.world.runtimes.keys()) if (!live.has(uid)) ctx.world.runtimes.delete(uid);
}

/** Without a ready CNI plugin the runtime cannot give a new pod its network namespace (retried every 10 s). */
function sandboxFailed(ctx: SimContext, p: Pod): void {
  const key = `sandbox/${p.metadata.uid}`;
  const now = ctx.clock.now();
  if (now - (ctx.world.reported.get(key) ?? -Infinity) < PROBE_PERIOD_MS) return;
  ctx.world.reported.set(key, now);
  const id = p.metadata.uid!.replace(/-/g, "");
  ctx.events.record(
    p,
    "Warning",
    "FailedCreatePodSandBox",
    `Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "${id}": plugin type="calico" failed (add): stat /var/lib/calico/nodename: no such file or directory: check that the calico/node container is running and has mounted /var/lib/calico/`,
    "kubelet",
    p.spec.nodeName,
  );
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

function newContainer(rt: PodRuntime, startAt: number): ContainerRuntime {
  return {
    state: "waiting",
    startedAt: 0,
    nextStartAt: startAt,
    backoffMs: 0,
    restartCount: 0,
    memBytes: 0,
    started: false,
    waitingReason: rt.containers.size === 0 ? "ContainerCreating" : "PodInitializing",
    cpuSeconds: 0,
  };
}

function syncPod(ctx: SimContext, p: Pod, node: Node, nodeIndex: number): void {
  const now = ctx.clock.now();
  const rt = runtimeOf(ctx, p, nodeIndex);
  const startAt = rt.scheduledAt + ctx.timings.podStartMs;
  const mountError = volumeError(ctx, p);
  const starting = now < startAt || mountError !== undefined;
  if (mountError && now >= startAt && now - (rt.lastMountEventAt ?? -Infinity) >= MOUNT_RETRY_MS) {
    rt.lastMountEventAt = now;
    ctx.events.record(p, "Warning", "FailedMount", mountError, "kubelet", p.spec.nodeName);
  }
  // Init containers run one at a time, in order; the app containers start once all completed.
  let initialized = true;
  for (const c of p.spec.initContainers ?? []) {
    let cr = rt.inits?.get(c.name);
    if (!cr) {
      cr = newContainer(rt, startAt);
      cr.waitingReason = "PodInitializing";
      (rt.inits ??= new Map()).set(c.name, cr);
    }
    if (cr.state === "terminated" && cr.lastTerminated?.exitCode !== 0) {
      initialized = false; // restartPolicy Never: a failed init container fails the pod
      break;
    }
    if (cr.state === "terminated") continue;
    initialized = false;
    if (!starting) stepContainer(ctx, p, node, c, cr, now, true);
    if ((cr.state as ContainerRuntime["state"]) !== "terminated") break;
    initialized = true;
  }
  for (const c of p.spec.containers) {
    let cr = rt.containers.get(c.name);
    if (!cr) {
      cr = newContainer(rt, startAt);
      if (p.spec.initContainers?.length) cr.waitingReason = "PodInitializing";
      rt.containers.set(c.name, cr);
    }
    if (!starting && initialized) stepContainer(ctx, p, node, c, cr, now, false);
  }
  writeStatus(ctx, p, node, rt, now, initialized);
}

const MOUNT_RETRY_MS = 30_000;

function pullFailed(
  ctx: SimContext,
  p: Pod,
  c: Container,
  cr: ContainerRuntime,
  now: number,
  message: string,
): void {
  const image = c.image ?? "";
  ctx.events.record(p, "Normal", "Pulling", `Pulling image "${image}"`, "kubelet", p.spec.nodeName);
  ctx.events.record(
    p,
    "Warning",
    "Failed",
    `Failed to pull image "${image}": ${message}`,
    "kubelet",
    p.spec.nodeName,
  );
  ctx.events.record(p, "Warning", "Failed", "Error: ErrImagePull", "kubelet", p.spec.nodeName);
  cr.backoffMs = cr.backoffMs === 0 ? ctx.timings.backoffBaseMs : Math.min(cr.backoffMs * 2, MAX_BACKOFF_MS);
  cr.nextStartAt = now + cr.backoffMs;
  cr.waitingReason = "ErrImagePull";
  cr.waitingMessage = message;
  cr.pullError = message;
}

function stepContainer(
  ctx: SimContext,
  p: Pod,
  nodeObj: Node,
  c: Container,
  cr: ContainerRuntime,
  now: number,
  isInit: boolean,
): void {
  const uid = p.metadata.uid!;
  const app = appOf(p);
  if (cr.state === "terminated") return;
  // The pod's image was changed in place (`kubectl set image pod/...`, Chaos Mesh's pod-failure): the
  // kubelet kills the container and starts the new image at once.
  if (cr.pulled && cr.image !== undefined && cr.image !== c.image) {
    cr.pulled = false;
    if (cr.state === "running") {
      ctx.events.record(
        p,
        "Normal",
        "Killing",
        `Container ${c.name} definition changed, will be restarted`,
        "kubelet",
        p.spec.nodeName,
      );
      cr.lastTerminated = { exitCode: 143, reason: "Error", startedAt: cr.startedAt, finishedAt: now };
      cr.exitPlan = undefined;
      cr.probes = undefined;
      ctx.logs.terminated(uid, c.name);
      cr.restartCount += 1;
      cr.state = "waiting";
      cr.waitingReason = "ContainerCreating";
      cr.waitingMessage = undefined;
      cr.nextStartAt = now;
    }
  }
  if (cr.state === "waiting") {
    if (cr.waitingReason === "ErrImagePull" && cr.pullError && now > cr.nextStartAt - cr.backoffMs) {
      // Between pull attempts the kubelet reports the back-off.
      ctx.events.record(
        p,
        "Normal",
        "BackOff",
        `Back-off pulling image "${c.image ?? ""}"`,
        "kubelet",
        p.spec.nodeName,
      );
      ctx.events.record(p, "Warning", "Failed", "Error: ImagePullBackOff", "kubelet", p.spec.nodeName);
      cr.waitingReason = "ImagePullBackOff";
      cr.waitingMessage = `Back-off pulling image "${c.image ?? ""}": ErrImagePull: ${cr.pullError}`;
    }
    if (now < cr.nextStartAt) return;
    if (!cr.pulled) {
      const pulled = ctx.world.pull(c.image ?? "");
      if (!pulled.ok) return pullFailed(ctx, p, c, cr, now, pullErrorMessage(c.image ?? "", pulled));
      cr.pulled = true;
      cr.image = c.image;
      cr.pullError = undefined;
      cr.backoffMs = 0;
      ctx.events.record(
        p,
        "Normal",
        "Pulled",
        `Container image "${c.image}" already present on machine`,
        "kubelet",
        p.spec.nodeName,
      );
    }
    const env = resolveEnv(ctx, p, c);
    if (!env.ok) {
      if (cr.waitingReason !== "CreateContainerConfigError" || cr.waitingMessage !== env.message)
        ctx.events.record(p, "Warning", "Failed", `Error: ${env.message}`, "kubelet", p.spec.nodeName);
      cr.waitingReason = "CreateContainerConfigError";
      cr.waitingMessage = env.message;
      return;
    }
    const missing = isInit ? undefined : missingSecret(ctx, p);
    if (missing) {
      const msg = `secret "${missing}" not found`;
      if (cr.waitingReason !== "CreateContainerConfigError")
        ctx.events.record(p, "Warning", "Failed", `Error: ${msg}`, "kubelet", p.spec.nodeName);
      cr.waitingReason = "CreateContainerConfigError";
      cr.waitingMessage = msg;
      return;
    }
    const b = ctx.world.behaviourOf(c, p);
    const arch =
      nodeObj.status?.nodeInfo?.architecture ?? nodeObj.metadata.labels?.["kubernetes.io/arch"] ?? "amd64";
    const outcome = startOutcome(ctx, p, c, b, env.env, mountedFiles(ctx, p, c), arch, isInit);
    if (cr.lastTerminated) ctx.logs.restarted(uid, c.name);
    ctx.events.record(p, "Normal", "Created", `Created container ${c.name}`, "kubelet", p.spec.nodeName);
    if (outcome.kind === "start_error") {
      ctx.events.record(p, "Warning", "Failed", `Error: ${outcome.message}`, "kubelet", p.spec.nodeName);
      cr.startedAt = now;
      terminate(ctx, p, c, cr, now, 128, "StartError", outcome.message);
      return;
    }
    ctx.events.record(p, "Normal", "Started", `Started container ${c.name}`, "kubelet", p.spec.nodeName);
    cr.state = "running";
    cr.started = true;
    cr.startedAt = now;
    cr.memBytes = World.baseMemory(b);
    cr.diskBytes = (b.diskMiB ?? 0) * MiB;
    cr.waitingReason = "";
    cr.waitingMessage = undefined;
    cr.exitPlan = outcome.exit;
    cr.probes = undefined;
    // A process that listens on nothing (the pause image) writes nothing either.
    if (!isInit && outcome.exit?.afterMs !== 0 && b.port !== 0)
      ctx.logs.append(
        uid,
        c.name,
        `${ts(now)} INFO starting ${app} (image ${c.image ?? "unknown"})`,
        ...(outcome.exit ? [] : [`${ts(now)} INFO listening on :${listenPort(ctx, c)}`]),
      );
    if (outcome.exit?.afterMs === 0) stepContainer(ctx, p, nodeObj, c, cr, now, isInit);
    return;
  }
  // Running.
  const b = ctx.world.behaviourOf(c, p);
  const plan = cr.exitPlan;
  if (plan && now - cr.startedAt >= plan.afterMs) {
    // Lines a process prints as it dies carry no timestamp of ours when they are the runtime's (exec errors).
    ctx.logs.append(uid, c.name, ...plan.logs.map((l) => (/^(exec |sh: )/.test(l) ? l : `${ts(now)} ${l}`)));
    if (plan.code === 0 && isInit) {
      cr.lastTerminated = { exitCode: 0, reason: "Completed", startedAt: cr.startedAt, finishedAt: now };
      cr.state = "terminated";
      ctx.logs.terminated(uid, c.name);
      return;
    }
    terminate(ctx, p, c, cr, now, plan.code, plan.code === 0 ? "Completed" : "Error");
    return;
  }
  if (isInit) return;
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
  // What the process wrote to its writable layer and logs (ephemeral storage; the eviction manager reads it).
  cr.diskBytes = ((b.diskMiB ?? 0) + ((b.diskMiBPerMin ?? 0) * up) / 60_000) * MiB;
  cr.memBytes =
    World.baseMemory(b) +
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
    return;
  }
  const ip = ctx.world.runtimes.get(uid)?.ip ?? "";
  const startupDone = !c.startupProbe || cr.probes?.Startup?.ok === true;
  if (c.startupProbe && !startupDone) {
    if (stepProbe(ctx, p, c, cr, "Startup", c.startupProbe, ip, now) === "kill")
      return terminate(ctx, p, c, cr, now, 137, "Error");
    return;
  }
  if (c.livenessProbe && stepProbe(ctx, p, c, cr, "Liveness", c.livenessProbe, ip, now) === "kill") {
    terminate(ctx, p, c, cr, now, 137, "Error");
    return;
  }
  if (c.readinessProbe) stepProbe(ctx, p, c, cr, "Readiness", c.readinessProbe, ip, now);
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
  message?: string,
): void {
  cr.lastTerminated = {
    exitCode,
    reason,
    startedAt: cr.startedAt,
    finishedAt: now,
    ...(message ? { message } : {}),
  };
  cr.exitPlan = undefined;
  cr.probes = undefined;
  ctx.logs.terminated(p.metadata.uid!, c.name);
  // restartPolicy: Never keeps every exit, OnFailure keeps a clean one (the pod then completes or fails).
  const policy = p.spec.restartPolicy ?? "Always";
  if (policy === "Never" || (policy === "OnFailure" && exitCode === 0)) {
    cr.state = "terminated";
    return;
  }
  cr.restartCount += 1;
  cr.started = true;
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
  if (cr.state === "terminated" && cr.lastTerminated) {
    const t = cr.lastTerminated;
    return {
      terminated: {
        exitCode: t.exitCode,
        reason: t.reason,
        startedAt: rfc3339(t.startedAt),
        finishedAt: rfc3339(t.finishedAt),
      },
    };
  }
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

function containerStatus(p: Pod, c: Container, cr: ContainerRuntime, ready: boolean): ContainerStatus {
  const lt = cr.state === "terminated" ? undefined : cr.lastTerminated;
  return {
    name: c.name,
    image: c.image ?? "",
    imageID: cr.pulled ? `docker-pullable://${c.image ?? ""}` : "",
    ...(cr.started
      ? { containerID: `containerd://${p.metadata.uid!.replace(/-/g, "")}${cr.restartCount}` }
      : {}),
    ready,
    started: cr.state === "running",
    restartCount: cr.restartCount,
    state: stateOf(cr),
    lastState: lt
      ? {
          terminated: {
            exitCode: lt.exitCode,
            reason: lt.reason,
            ...(lt.message ? { message: lt.message } : {}),
            startedAt: rfc3339(lt.startedAt),
            finishedAt: rfc3339(lt.finishedAt),
          },
        }
      : {},
  };
}

/** Ready: running, the node Ready, and the readiness probe passing (or, without one, a short while after start). */
function containerReady(
  ctx: SimContext,
  c: Container,
  cr: ContainerRuntime,
  nodeReady: boolean,
  now: number,
): boolean {
  if (cr.state !== "running" || !nodeReady) return false;
  if (c.startupProbe && cr.probes?.Startup?.ok !== true) return false;
  if (c.readinessProbe) return cr.probes?.Readiness?.ok === true;
  return now - cr.startedAt >= ctx.timings.readyDelayMs;
}

function writeStatus(
  ctx: SimContext,
  p: Pod,
  node: Node,
  rt: PodRuntime,
  now: number,
  initialized: boolean,
): void {
  const nodeOk = node.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
  // A hung process with no readiness probe of its own is still caught by the fault's probe (legacy hang fault).
  const nodeReady =
    nodeOk && (p.spec.containers.some((c) => c.readinessProbe) || !probeHung(ctx, p, rt, now));
  const statuses: ContainerStatus[] = p.spec.containers.map((c) => {
    const cr = rt.containers.get(c.name)!;
    return containerStatus(p, c, cr, containerReady(ctx, c, cr, nodeReady, now));
  });
  const initStatuses = (p.spec.initContainers ?? []).map((c) => {
    const cr = rt.inits?.get(c.name);
    return cr
      ? containerStatus(p, c, cr, cr.state === "terminated")
      : containerStatus(p, c, newContainer(rt, 0), false);
  });
  const allReady = statuses.every((s) => s.ready);
  const prev = p.status?.conditions ?? [];
  const cond = (type: string, ok: boolean, reason?: string, message?: string): Condition => {
    const old = prev.find((c) => c.type === type);
    const status = ok ? "True" : "False";
    return {
      type,
      status,
      ...(reason && !ok ? { reason } : {}),
      ...(message && !ok ? { message } : {}),
      lastProbeTime: null,
      lastTransitionTime: old && old.status === status ? old.lastTransitionTime : rfc3339(now),
    };
  };
  const notReady = statuses.filter((s) => !s.ready).map((s) => s.name);
  const notReadyMsg = `containers with unready status: [${notReady.join(" ")}]`;
  const pendingInits = initStatuses.filter((s) => !s.state.terminated || s.state.terminated.exitCode !== 0);
  const anyStarted = statuses.some((s) => s.started || s.restartCount > 0);
  const initFailed = initStatuses.some((s) => (s.state.terminated?.exitCode ?? 0) !== 0);
  const finished = initFailed || (statuses.length > 0 && statuses.every((s) => s.state.terminated));
  const phase = finished
    ? !initFailed && statuses.every((s) => s.state.terminated?.exitCode === 0)
      ? "Succeeded"
      : "Failed"
    : anyStarted
      ? "Running"
      : "Pending";
  const status: Pod["status"] = {
    ...p.status,
    phase,
    conditions: [
      cond("PodReadyToStartContainers", now >= rt.scheduledAt + ctx.timings.podStartMs),
      cond(
        "Initialized",
        initialized,
        "ContainersNotInitialized",
        `containers with incomplete status: [${pendingInits.map((s) => s.name).join(" ")}]`,
      ),
      cond("Ready", allReady, finished ? "PodCompleted" : "ContainersNotReady", finished ? "" : notReadyMsg),
      cond(
        "ContainersReady",
        allReady,
        finished ? "PodCompleted" : "ContainersNotReady",
        finished ? "" : notReadyMsg,
      ),
      cond("PodScheduled", true),
    ],
    hostIP: node.status?.addresses?.find((a) => a.type === "InternalIP")?.address,
    podIP: rt.ip,
    podIPs: [{ ip: rt.ip }],
    startTime: p.status?.startTime ?? rfc3339(rt.scheduledAt),
    ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: statuses,
    qosClass: p.status?.qosClass ?? "BestEffort",
  };
  if (JSON.stringify(status) !== JSON.stringify(p.status)) {
    save(ctx, R.pods, { ...p, status });
  }
}

/**
 * A container killed from outside the kubelet (the runtime's SIGKILL, as Chaos Mesh's container-kill does):
 * it exits 137 with reason Error, and the kubelet restarts it in place (restart count + 1, `lastState`), the
 * pod and its name unchanged. Returns false when the container is not running.
 */
export function killContainer(ctx: SimContext, p: Pod, name: string): boolean {
  const c = p.spec.containers.find((x) => x.name === name);
  const cr = ctx.world.runtimes.get(p.metadata.uid!)?.containers.get(name);
  if (!c || !cr || cr.state !== "running") return false;
  terminate(ctx, p, c, cr, ctx.clock.now(), 137, "Error");
  return true;
}
