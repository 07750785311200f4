import type { Signal } from "../../../core/types.ts";
import type { PodSnapshot } from "../../../tools/kubernetes/listPods.ts";
import type { NodeSnapshot } from "../../../tools/kubernetes/nodeStatus.ts";
import type { KubeEvent } from "../../../tools/kubernetes/objectEvents.ts";
import type { HpaSnapshot } from "../../../tools/kubernetes/hpa.ts";
import type { DeploymentSnapshot } from "../../../tools/kubernetes/rolloutHistory.ts";
import { podsToDrain } from "../../../tools/kubernetes/cordonDrainNode.ts";
import { signal } from "../../signals.ts";
import { callerSignals } from "./dependencySignals.ts";
import { revisionSignals } from "./revisionDiff.ts";
import { evictionSignals } from "./evictionSignals.ts";
import { rolloutInProgressSignals, scaledToZeroSignals } from "./replicaSignals.ts";

/** Raw observations of one workload, as the read-only tools returned them. */
export interface WorkloadObservations {
  pods: PodSnapshot[];
  /** The owning deployment and its rollout history, when there is one. */
  rollout?: DeploymentSnapshot;
  /** Log lines (previous run first where there was one) of the pods that fail, by pod name. */
  logs: Record<string, string[]>;
  events: KubeEvent[];
  /** The HPA scaling the deployment, if any. */
  hpa?: HpaSnapshot;
  /**
   * When AegisOps read these (its clock, epoch ms). A state that writes nothing while it lasts (an init container
   * that hangs, a pod never Ready) is timed against it: the cluster's newest timestamp stops with the state.
   */
  observedAt?: number;
}

const CRASH_RESTARTS = 3;
const CONFIG_WAITING = new Set(["CreateContainerConfigError", "CreateContainerError"]);
const MISSING_REF = /\b(secret|configmap)s? "?([\w.-]+)"? not found/i;
const CONFIG_LOG =
  /\bconfig(uration)?\b.{0,40}\b(error|invalid|missing|not set|failed)|FATAL config|missing required (setting|env|variable|option)|environment variable \S+ (is )?(not set|missing)|\bwhich is not set\b/i;
const UPSTREAM_429 = /\bupstream\b.{0,60}\b429\b|429 Too Many Requests|rate limit(ed)? by upstream/i;
const SERVER_ERROR_LOG = /\bERROR\b.*\b(unhandled|exception|panic|5\d\d)\b|internal server error/i;
const SERVER_ERROR_LINES = 3;
/** A server's own periodic summary of its error rate ("errors 42.0%", "error rate: 7%", "5xx 12%"). */
const ERROR_RATE_LOG = /\b(?:errors?(?: rate| ratio)?|5xx)\b[\s:=(]{0,3}(\d{1,3}(?:\.\d+)?)\s?%/i;
/** The error rate a summary line must report to count as a server-error line (a few percent is everyday noise). */
const ERROR_RATE_MIN_PERCENT = 5;
/** A line that reports server errors: an error line naming a 5xx or a crash, or a summary with a high error rate. */
const serverErrorLine = (l: string): boolean => SERVER_ERROR_LOG.test(l) || highErrorRate(l);
/** A call to another service that failed on the way (a name that does not resolve, a refused or timed-out dial). */
const CALL_FAILED_LOG =
  /cannot reach \S+|no such host|connection refused|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|dial tcp \S+: (?:i\/o timeout|connect:)|upstream connect error/i;
/** A summary line reporting an error rate of 5 % or more. */
const highErrorRate = (l: string): boolean => {
  const rate = ERROR_RATE_LOG.exec(l);
  return rate !== null && Number(rate[1]) >= ERROR_RATE_MIN_PERCENT;
};
/** Upstream 429 lines a pod must have logged (in its last lines) before it counts as throttled. */
const UPSTREAM_429_LINES = 2;
const QUEUE_LOG = /\bqueue \S+: \d+ messages waiting/i;
/** Lines a worker may write after its last backlog report before that report is stale (the queue drained). */
const STALE_AFTER_LINES = 3;
const SLOW_LOG = /event loop delay|cpu throttled|request handling slow/i;
const SATURATED_LOG = /worker pool saturated|shedding load|capacity \d+ req\/s/i;
/**
 * A process degraded in its own state, which a restart of that process clears: a JVM thrashing in full garbage
 * collections (HotSpot's and G1's wording), a V8 heap collecting back to back, a connection pool whose every
 * connection leaked (HikariCP, SQLAlchemy, Prisma, pgx/database-sql, node-postgres wordings).
 */
const DEGRADED_LOG =
  /GC overhead limit exceeded|GC overhead: \d+%|Pause Full \(|Full GC \(Allocation Failure\)|Mark-Compact .*allocation failure|Connection is not available, request timed out|QueuePool limit of size \d+ overflow \d+ reached|Timed out fetching a new connection from the connection pool|timeout exceeded when trying to connect|pool exhausted|could not (?:get|obtain|acquire) (?:a )?connection from (?:the )?pool/i;
/** A revision this young is "recent": its failures likely came with it. */
const RECENT_ROLLOUT_MS = 60 * 60_000;

/**
 * The cluster's "now", read from the newest timestamp in the observations rather than this machine's clock,
 * so a skewed (or simulated) cluster clock does not make a fresh revision look old.
 */
export function clusterNow(obs: WorkloadObservations): number {
  const stamps: Array<string | null | undefined> = [
    ...obs.events.map((e) => e.last),
    ...obs.pods.flatMap((p) => [
      p.createdAt,
      ...p.containers.flatMap((c) => [c.runningSince, c.lastTerminated?.finishedAt]),
    ]),
    ...(obs.rollout?.revisions.map((r) => r.createdAt) ?? []),
  ];
  return Math.max(0, ...stamps.filter((s): s is string => !!s).map((s) => Date.parse(s)));
}

const crashing = (p: PodSnapshot) =>
  p.containers.some(
    (c) =>
      c.waiting?.reason === "CrashLoopBackOff" ||
      (c.restartCount >= CRASH_RESTARTS && c.lastTerminated?.reason !== "OOMKilled"),
  );
const oomKilled = (p: PodSnapshot) => p.containers.some((c) => c.lastTerminated?.reason === "OOMKilled");
const configBlocked = (p: PodSnapshot) =>
  p.containers.some((c) => CONFIG_WAITING.has(c.waiting?.reason ?? ""));
const active = (p: PodSnapshot) => !p.deleting && p.phase !== "Succeeded" && p.phase !== "Failed";

/** True when the newest line matching `pattern` is among a pod's last lines (not a report since superseded). */
function isCurrent(lines: readonly string[], pattern: RegExp): boolean {
  const last = lines.findLastIndex((l) => pattern.test(l));
  return last >= 0 && lines.length - 1 - last <= STALE_AFTER_LINES;
}

/** The newest line matching `pattern` in any pod's log that is still current there, if one is. */
export function currentLine(logs: Record<string, readonly string[]>, pattern: RegExp): string | undefined {
  for (const lines of Object.values(logs)) {
    if (isCurrent(lines, pattern)) return lines.findLast((l) => pattern.test(l));
  }
  return undefined;
}

/** Runs shorter than this on average, OOMKilled each time: the process needs more than its limit to start. */
const SHORT_RUN_MS = 10 * 60_000;

/**
 * The only revision OOM-killed over and over, each run short: the memory limit is below what the process needs at
 * start or under normal load, not a leak a restart would reset. Not for a new revision (recent_rollout covers it).
 */
function oomAtStart(
  pods: PodSnapshot[],
  oomers: PodSnapshot[],
  rollout: DeploymentSnapshot | undefined,
): Signal | undefined {
  if ((rollout?.revisions.length ?? 1) > 1 || oomers.length < pods.length) return undefined;
  const runs = oomers.map((p) => {
    const c = p.containers.find((x) => x.lastTerminated?.reason === "OOMKilled")!;
    const lived = Date.parse(c.lastTerminated?.finishedAt ?? "") - Date.parse(p.createdAt ?? "");
    return { c, perRun: c.restartCount > 0 ? lived / c.restartCount : NaN };
  });
  if (!runs.every((r) => r.c.restartCount >= 2 && Number.isFinite(r.perRun) && r.perRun < SHORT_RUN_MS))
    return undefined;
  const limit = runs[0]!.c.memoryLimitBytes;
  const secs = Math.round(Math.max(...runs.map((r) => r.perRun)) / 1000);
  return signal(
    "oom_limit_too_low",
    limit ?? true,
    `every pod of the only revision is OOMKilled within about ${secs} s of starting (up to ${Math.max(...runs.map((r) => r.c.restartCount))} restarts)${limit ? `, memory limit ${Math.round(limit / 2 ** 20)} MiB` : ""}: the limit is below what the process needs, a restart cannot fix it`,
  );
}

/** Turn one workload's observations into the planner's signal vocabulary. Pure. */
export function workloadSignals(obs: WorkloadObservations): Signal[] {
  const out: Signal[] = [];
  const pods = obs.pods.filter(active);
  const now = clusterNow(obs);
  // A new revision whose pods exit with an error and never become Ready is crashing before the back-off says so.
  const released = obs.rollout && obs.rollout.revisions.length > 1 ? obs.rollout.revisions[0] : undefined;
  const failsToStart = (p: PodSnapshot) =>
    released !== undefined &&
    p.templateHash === released.templateHash &&
    !p.ready &&
    p.containers.some(
      (c) =>
        c.restartCount >= 1 &&
        c.lastTerminated !== undefined &&
        c.lastTerminated.exitCode !== 0 &&
        c.lastTerminated.reason !== "OOMKilled",
    );
  const crashers = pods.filter((p) => crashing(p) || failsToStart(p));
  const oomers = pods.filter(oomKilled);
  const blocked = pods.filter(configBlocked);
  const logOf = (p: PodSnapshot) => obs.logs[p.name] ?? [];
  // A summary's error rate says nothing of where the errors come from (a failing callee, a port nobody serves):
  // it counts only for the pods of a new revision, whose rollout it then points at; ERROR lines count everywhere.
  // Nor when the same pod logs its calls failing or itself shedding load: then the errors are a dependency's or the
  // load's, whatever the revision.
  const newRevision = (p: PodSnapshot) =>
    released !== undefined &&
    p.templateHash === released.templateHash &&
    !logOf(p).some((l) => CALL_FAILED_LOG.test(l) || SATURATED_LOG.test(l));
  const erroring = pods.filter(
    (p) =>
      logOf(p).filter(
        (l) => (SERVER_ERROR_LOG.test(l) || (newRevision(p) && highErrorRate(l))) && !UPSTREAM_429.test(l),
      ).length >= SERVER_ERROR_LINES,
  );
  // Throttling is a 429 that keeps coming back; one stray 429 beside a release's own errors is not.
  const throttled = pods.filter(
    (p) => logOf(p).filter((l) => UPSTREAM_429.test(l)).length >= UPSTREAM_429_LINES,
  );
  const failing = [...new Set([...crashers, ...oomers, ...blocked, ...erroring])];

  if (crashers.length > 0 || blocked.length > 0) {
    const restarts = Math.max(0, ...pods.flatMap((p) => p.containers.map((c) => c.restartCount)));
    const reasons = [
      ...new Set(failing.flatMap((p) => p.containers.map((c) => c.waiting?.reason).filter(Boolean))),
    ];
    out.push(
      signal(
        "crash_loop",
        restarts || true,
        `${failing.length} of ${pods.length} pod(s) failing (${reasons.join(", ") || "restarting"}), up to ${restarts} restarts`,
      ),
    );
  }
  if (oomers.length > 0) {
    out.push(
      signal("oom_killed", oomers.length, `${oomers.length} pod(s) last terminated OOMKilled (exit 137)`),
    );
    const limited = oomAtStart(pods, oomers, obs.rollout);
    if (limited) out.push(limited);
  }

  const texts = [
    ...blocked.flatMap((p) => p.containers.map((c) => c.waiting?.message ?? "")),
    ...obs.events.filter((e) => e.type === "Warning").map((e) => e.message),
    ...Object.values(obs.logs).flat(),
  ];
  const missing = texts.map((t) => MISSING_REF.exec(t)).find((m) => m !== null);
  if (missing) {
    out.push(signal("missing_secret", `${missing[1]!.toLowerCase()}/${missing[2]}`, `"${missing[0]}"`));
  } else if (blocked.length > 0) {
    out.push(
      signal(
        "config_error",
        true,
        `container config error: ${blocked[0]!.containers[0]?.waiting?.message ?? ""}`,
      ),
    );
  } else if (crashers.length > 0) {
    const line = Object.values(obs.logs)
      .flat()
      .reverse()
      .find((l) => CONFIG_LOG.test(l));
    if (line) out.push(signal("config_error", true, `log: "${line.slice(0, 160)}"`));
  }

  if (erroring.length > 0 && crashers.length === 0) {
    const line = logOf(erroring[0]!).find(serverErrorLine) ?? "";
    out.push(
      signal(
        "http_errors",
        erroring.length,
        `${erroring.length} pod(s) log server errors, e.g. "${line.slice(0, 140)}"`,
      ),
    );
  }
  if (throttled.length > 0) {
    const line = logOf(throttled[0]!).find((l) => UPSTREAM_429.test(l)) ?? "";
    out.push(
      signal(
        "upstream_throttled",
        throttled.length,
        `${throttled.length} pod(s) log upstream 429s, e.g. "${line.slice(0, 140)}"`,
      ),
    );
  }

  const slowPods = pods.filter((p) => p.ready && logOf(p).some((l) => SLOW_LOG.test(l)));
  const slowNodes = [...new Set(slowPods.map((p) => p.node))];
  const fastElsewhere = pods.some(
    (p) =>
      p.ready &&
      p.node !== slowNodes[0] &&
      obs.logs[p.name] !== undefined &&
      !logOf(p).some((l) => SLOW_LOG.test(l)),
  );
  if (slowPods.length > 0 && slowNodes.length === 1 && slowNodes[0] && fastElsewhere) {
    out.push(
      signal(
        "slow_on_one_node",
        slowNodes[0],
        `only the pod(s) on ${slowNodes[0]} are slow (${slowPods.map((p) => p.name).join(", ")}); the others are not`,
      ),
    );
  }
  const read = pods.filter((p) => obs.logs[p.name] !== undefined);
  // One replica degraded in its own process state while its siblings serve: that pod, not the revision or the load.
  const degraded = read.filter((p) => p.ready && logOf(p).some((l) => DEGRADED_LOG.test(l)));
  const servingFine = read.filter((p) => p.ready && !logOf(p).some((l) => DEGRADED_LOG.test(l)));
  if (degraded.length > 0 && servingFine.length >= degraded.length) {
    const line = logOf(degraded[0]!).find((l) => DEGRADED_LOG.test(l)) ?? "";
    out.push(
      signal(
        "pod_degraded",
        degraded[0]!.name,
        `${degraded.map((p) => p.name).join(", ")} of ${read.length} pod(s) log a degraded process ("${line.slice(0, 140)}"); the others serve normally`,
      ),
    );
  }
  const saturated = read.filter((p) => logOf(p).some((l) => SATURATED_LOG.test(l)));
  if (saturated.length > 0 && saturated.length * 2 >= read.length) {
    out.push(
      signal(
        "capacity_saturated",
        saturated.length,
        `${saturated.length} of ${read.length} pod(s) shed load: "${
          logOf(saturated[0]!)
            .find((l) => SATURATED_LOG.test(l))
            ?.slice(0, 140) ?? ""
        }"`,
      ),
    );
    if (obs.hpa) {
      const h = obs.hpa;
      out.push(
        h.atMax
          ? signal("hpa_at_max", h.maxReplicas, `HPA ${h.name} is at its max of ${h.maxReplicas} replicas`)
          : signal(
              "hpa_scaling",
              h.currentReplicas,
              `HPA ${h.name} at ${h.currentReplicas} of max ${h.maxReplicas}: it can still scale`,
            ),
      );
    }
  }

  // A backlog line counts while it is current: a worker that has written several lines since says nothing of it.
  const backlog = read.flatMap((p) =>
    isCurrent(logOf(p), QUEUE_LOG) ? logOf(p).filter((l) => QUEUE_LOG.test(l)) : [],
  );
  if (backlog.length > 0) {
    out.push(
      signal("queue_backlog", backlog.length, `workers report a backlog: "${backlog.at(-1)!.slice(0, 140)}"`),
    );
  }

  const r = obs.rollout;
  const newest = r?.revisions[0];
  const older = r?.revisions.slice(1) ?? [];
  if (r && newest && older.length > 0 && failing.length > 0) {
    const onNewest = failing.every((p) => p.templateHash === newest.templateHash);
    const olderServing = pods.some((p) => p.templateHash !== newest.templateHash && p.ready && !crashing(p));
    const age = newest.createdAt ? now - Date.parse(newest.createdAt) : Infinity;
    if (onNewest && (olderServing || age <= RECENT_ROLLOUT_MS)) {
      const why = olderServing
        ? "the rollout is stuck: pods of the previous revision still serve while the new ones fail"
        : `revision ${newest.revision} rolled out ${Math.round(age / 60_000)} min ago and every failing pod runs it`;
      out.push(signal("recent_rollout", newest.revision, `${why} (${newest.images.join(", ")})`));
    }
  }

  const notReady = pods.filter((p) => !p.ready);
  if (notReady.length > 0 && failing.length === 0) {
    out.push(
      signal("pods_not_ready", notReady.length, `${notReady.length} of ${pods.length} pod(s) not Ready`),
    );
  }
  out.push(...callerSignals(Object.fromEntries(read.map((p) => [p.name, logOf(p)]))));
  out.push(...revisionSignals(obs, now));
  out.push(...evictionSignals(obs));
  out.push(...scaledToZeroSignals(obs, now));
  out.push(...rolloutInProgressSignals(obs));
  if (out.length === 0 && pods.length > 0) {
    out.push(signal("healthy", true, `${pods.length} pod(s) Ready, no restarts failing`));
  }
  return out;
}

/** Turn one node's observations into signals. Pure. */
export function nodeSignals(node: NodeSnapshot): Signal[] {
  const out: Signal[] = [];
  const cond = (type: string) => node.conditions.find((c) => c.type === type);
  const ready = cond("Ready");
  const toMove = podsToDrain(node.pods);
  if (ready && ready.status !== "True") {
    out.push(
      signal(
        "node_not_ready",
        ready.status,
        `Ready=${ready.status} (${ready.reason || "no reason"}) since ${ready.since ?? "?"}`,
      ),
    );
  }
  const disk = cond("DiskPressure");
  if (disk?.status === "True")
    out.push(signal("disk_pressure", true, `DiskPressure: ${disk.message || disk.reason}`));
  // The kubelet's own verdict that the node runs short of memory or process ids (it starts evicting pods).
  const memory = cond("MemoryPressure");
  if (memory?.status === "True")
    out.push(signal("memory_pressure", true, `MemoryPressure: ${memory.message || memory.reason}`));
  const pids = cond("PIDPressure");
  if (pids?.status === "True")
    out.push(signal("pid_pressure", true, `PIDPressure: ${pids.message || pids.reason}`));
  if (node.unschedulable && toMove.length === 0) {
    out.push(signal("node_drained", true, "cordoned and hosting no pods a drain would move"));
  } else if (node.unschedulable) {
    // Someone (a person, an autoscaler, a drain under way) already took the node out of scheduling.
    const leaving = node.pods.filter((p) => p.deleting && p.ownerKind !== "DaemonSet").length;
    out.push(
      signal(
        "node_cordoned",
        toMove.length,
        `already cordoned (unschedulable)${leaving > 0 ? `, a drain is under way: ${leaving} pod(s) terminating,` : ","} ${toMove.length} pod(s) still to move`,
      ),
    );
  }
  if (out.length === 0) {
    out.push(signal("healthy", true, `Ready, no pressure conditions, ${toMove.length} pod(s) running`));
  }
  return out;
}

/** What is known about a consumer group behind a workload. */
export interface ConsumerGroupObservations {
  group: string;
  partitions: number;
  readyConsumers: number;
  /** Where the lag was reported (a firing alert about the group, or a Prometheus reading); null when not seen. */
  lagSeen: string | null;
}

/** Signals of a Kafka consumer group: lag, and whether more consumers could take partitions. Pure. */
export function consumerGroupSignals(o: ConsumerGroupObservations): Signal[] {
  if (!o.lagSeen) return [];
  const out = [signal("consumer_lag", o.group, `consumer group ${o.group} lags (${o.lagSeen})`)];
  if (o.readyConsumers < o.partitions) {
    out.push(
      signal(
        "consumers_below_partitions",
        o.partitions - o.readyConsumers,
        `${o.readyConsumers} ready consumer(s) for ${o.partitions} partition(s)`,
      ),
    );
  } else {
    out.push(
      signal(
        "consumers_at_partitions",
        o.readyConsumers,
        `${o.readyConsumers} ready consumer(s) already cover all ${o.partitions} partition(s); more would sit idle`,
      ),
    );
  }
  return out;
}

/** What clients and the Service say about a database. */
export interface DatabaseObservations {
  service: string;
  /** The selector value the Service uses now (e.g. primary). */
  selected: string | undefined;
  secondary: string;
  /** Client log lines, by pod. */
  clientLogs: Record<string, string[]>;
}

/** Signals of a database behind a Service: slow queries reported by clients, and which instance serves. Pure. */
export function databaseSignals(o: DatabaseObservations): Signal[] {
  const pattern = new RegExp(
    `slow (query|queries) (on|to|against) "?${o.service.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`,
    "i",
  );
  const slow = Object.entries(o.clientLogs).flatMap(([pod, lines]) =>
    lines.filter((l) => pattern.test(l)).map((l) => ({ pod, l })),
  );
  const out: Signal[] = [];
  const pods = new Set(slow.map((s) => s.pod));
  if (slow.length > 0) {
    out.push(
      signal(
        "db_slow",
        o.selected ?? "unknown",
        `${slow.length} slow-query line(s) from ${pods.size} client pod(s), e.g. "${slow[0]!.l.slice(0, 140)}"`,
      ),
    );
  }
  if (o.selected === o.secondary) {
    out.push(signal("db_on_secondary", o.selected, `Service ${o.service} already selects the secondary`));
  }
  return out;
}
