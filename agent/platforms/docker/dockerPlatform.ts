import { systemClock, type Clock } from "../../../core/clock.ts";
import { AegisError, describeError } from "../../../core/errors.ts";
import type { ActionId } from "../../../core/catalog.ts";
import type {
  ActionRecord,
  Decision,
  Evidence,
  IncidentAlert,
  Target,
  Verification,
} from "../../../core/types.ts";
import type { DockerClient } from "../../../tools/docker/client.ts";
import { createContainerEventsTool } from "../../../tools/docker/containerEvents.ts";
import { createContainerLogsTool } from "../../../tools/docker/containerLogs.ts";
import { createContainerStatsTool } from "../../../tools/docker/containerStats.ts";
import {
  createInspectContainerTool,
  inspectSnapshot,
  type ContainerSnapshot,
} from "../../../tools/docker/inspectContainer.ts";
import { createKillContainerTool } from "../../../tools/docker/killContainer.ts";
import { createRestartContainerTool } from "../../../tools/docker/restartContainer.ts";
import { findReplacementTask, swarmTaskOf } from "../../../tools/docker/swarmTask.ts";
import { createScaleServiceTool, listReplicas } from "../../../tools/docker/scaleService.ts";
import { HEALTH_URL_LABEL } from "../../../tools/docker/replicaSet.ts";
import { probeHealth, probeHealthRepeatedly } from "../../../tools/http/healthProbe.ts";
import { createPrometheusQueryTool } from "../../../tools/prometheus/instantQuery.ts";
import { createPrometheusRangeQueryTool } from "../../../tools/prometheus/rangeQuery.ts";
import type { Tool } from "../../../tools/tool.ts";
import type { Policy } from "../../policy/schema.ts";
import { bindTool } from "../boundTool.ts";
import type { ActionResult, Located, Platform } from "../platform.ts";
import { prometheusChecks } from "../prometheusCheck.ts";
import { errorsFromPrometheus, statsFromPrometheus, SUSTAINED_RISES } from "./promHistory.ts";
import { dockerSignals, type DockerObservations } from "./signals.ts";

export interface DockerPlatformOptions {
  docker: DockerClient;
  prometheusUrl?: string | undefined;
  policy?: Policy;
  /** Timeout of one health-URL probe. */
  probeTimeoutMs?: number;
  /** The clock the actions' waits run on; the machine's by default. */
  clock?: Clock | undefined;
}

const ACTIONS: ActionId[] = ["restart_container", "kill_container", "scale_service"];
const PROTECTED_LABEL = "aegis.protected";
/** A crash loop this young gets a second look after SECOND_LOOK_MS. */
const YOUNG_CRASH_MS = 10_000;
const SECOND_LOOK_MS = 1500;
/** Signals that settle a diagnosis on their own, so investigation need not wait for memory trends. */
const DECISIVE = new Set([
  "oom_killed",
  "crash_loop",
  "config_error",
  "exited",
  "health_timeout",
  "http_errors",
]);

/**
 * Which member of a Compose service an incident about the service acts on: the container the alert names
 * exactly when it is a member (a per-container series is about that container, not its siblings), else the
 * member that is down (not running, or being restarted by the engine), else the first (the service is the unit
 * people named). Shared with the evals' recorded environment.
 */
export function pickServiceMember<M extends { name: string; running: boolean }>(
  members: readonly M[],
  named?: string,
): M {
  return (
    (named ? members.find((m) => m.name === named) : undefined) ??
    members.find((m) => !m.running) ??
    members[0]!
  );
}

/** Docker containers (and Compose services) as a Platform, built from the Docker tools. */
export function createDockerPlatform(opts: DockerPlatformOptions): Platform {
  const { docker } = opts;
  const envAllowlist = opts.policy?.evidence.envAllowlist ?? [];
  const probeTimeoutMs = opts.probeTimeoutMs ?? 2000;
  const logsTool = createContainerLogsTool({ docker });
  const statsTool = createContainerStatsTool({ docker });
  const restartTool = createRestartContainerTool({ docker });
  const clock = opts.clock ?? systemClock;
  const killTool = createKillContainerTool({ docker, clock });
  const scaleTool = createScaleServiceTool({ docker });
  const eventsTool = createContainerEventsTool({ docker });

  const containerRef = (target: Target): string => {
    if (target.kind === "docker_container") return target.id ?? target.name;
    throw new AegisError("internal", `docker platform got a ${target.kind} target`);
  };
  const healthUrlOf = (c: ContainerSnapshot, alerts: IncidentAlert[]): string | undefined => {
    const service = alerts.find((a) => a.labels.service)?.labels.service;
    return c.labels[HEALTH_URL_LABEL] ?? (service ? opts.policy?.services[service]?.healthUrl : undefined);
  };

  async function locate(target: Target): Promise<Located> {
    if (target.kind === "docker_service") {
      let set;
      try {
        set = await listReplicas(docker, {
          composeService: target.service,
          ...(target.project ? { project: target.project } : {}),
        });
      } catch (err) {
        return { ok: false, reason: describeError(err) };
      }
      if (set.members.length === 0)
        return { ok: false, reason: `no container of compose service ${target.service}` };
      const pick = pickServiceMember(set.members, target.member);
      // The service, not the member picked today, is what caps and grouping count.
      const member = await locate({ kind: "docker_container", key: target.key, name: pick.name });
      return member.ok ? { ...member, identity: target.key } : member;
    }
    if (target.kind !== "docker_container")
      return { ok: false, reason: `not a Docker target: ${target.kind}` };
    let c: ContainerSnapshot;
    try {
      c = await inspectSnapshot(docker, target.name);
    } catch (err) {
      return { ok: false, reason: describeError(err) };
    }
    if (c.name !== target.name && !c.id.startsWith(target.name)) {
      return {
        ok: false,
        reason: `container ${target.name} resolved to ${c.name}, not the one the alert names`,
      };
    }
    const located: Target = { kind: "docker_container", key: target.key, name: c.name, id: c.id };
    const isProtected =
      c.labels[PROTECTED_LABEL] === "true" || (opts.policy?.protectedContainers ?? []).includes(c.name);
    const identity = `docker:container/${c.id}`;
    return isProtected
      ? {
          ok: true,
          target: located,
          instanceId: c.id,
          identity,
          protectedReason: `container ${c.name} is protected by policy`,
        }
      : { ok: true, target: located, instanceId: c.id, identity };
  }

  async function observe(
    target: Target,
    alerts: IncidentAlert[],
  ): Promise<{ obs: DockerObservations; errors: string[] }> {
    const ref = containerRef(target);
    const snapshot = await inspectSnapshot(docker, ref, envAllowlist);
    const errors: string[] = [];
    const guard = <T>(name: string, p: Promise<T>): Promise<T | undefined> =>
      p.catch((err: unknown) => {
        errors.push(`${name}: ${describeError(err)}`);
        return undefined;
      });
    const url = healthUrlOf(snapshot, alerts);
    const alive = snapshot.state.running && !snapshot.state.restarting;
    // Quick tools side by side; then, only if they found nothing decisive, the slow one: the engine
    // publishes stats once a second, so measuring memory growth and CPU costs about a second.
    // A failing health URL is probed again before it counts: one refused or reset connection can be a blip.
    // With Prometheus, the errors it already holds say whether a failing probe is a blip (read side by side).
    const since = Math.min(...alerts.filter((a) => a.status === "firing").map((a) => Date.parse(a.startsAt)));
    const errorHistory =
      opts.prometheusUrl && alive && url
        ? errorsFromPrometheus({ prometheusUrl: opts.prometheusUrl, container: snapshot.name, since }).catch(
            () => undefined,
          )
        : undefined;
    const sustained = async () => {
      const h = await errorHistory;
      return h && h.rises >= SUSTAINED_RISES
        ? `Prometheus counted ${h.errors} server error(s) at ${h.rises} scrapes over the last ${Math.round(h.windowMs / 1000)} s`
        : undefined;
    };
    const [logs, probed] = await Promise.all([
      guard("docker_container_logs", logsTool.execute({ container: ref, tail: 100 })),
      alive && url
        ? probeHealthRepeatedly(url, probeTimeoutMs, undefined, sustained, clock)
        : Promise.resolve(undefined),
    ]);
    const obs: DockerObservations = { snapshot };
    const task = snapshot.state.running ? undefined : swarmTaskOf(snapshot.labels);
    if (task) {
      const replacement = await guard("docker_list_containers", findReplacementTask(docker, task));
      obs.swarm = replacement ? { task, replacement } : { task };
    }
    if (logs) obs.logs = logs.lines;
    if (probed) {
      obs.probe = probed.result;
      obs.probes = probed.probes;
      if (probed.confirmedBy) obs.probeConfirmedBy = probed.confirmedBy;
    }
    const decisive = dockerSignals(obs).some((s) => DECISIVE.has(s.name));
    if (alive && !decisive) {
      // With Prometheus, the trend it already holds answers at once; the engine's own readings take a second.
      const history = opts.prometheusUrl
        ? await guard(
            "prometheus_query_range",
            statsFromPrometheus({
              prometheusUrl: opts.prometheusUrl,
              container: snapshot.name,
              memoryLimitBytes: snapshot.memoryLimitBytes,
              since,
            }),
          )
        : undefined;
      const stats =
        history ?? (await guard("docker_container_stats", statsTool.execute({ container: ref, samples: 2 })));
      if (stats) obs.stats = stats;
    }
    return { obs, errors };
  }

  /** scale_service back to its previous count; the other Docker actions (restart, kill, recreate) have no undo. */
  async function undo(record: ActionRecord, target: Target) {
    if (record.action !== "scale_service" || typeof record.result?.previousReplicas !== "number") {
      return { rolledBack: false, detail: `${record.action} has no undo` };
    }
    const previous = record.result.previousReplicas;
    await scaleTool.execute({ container: containerRef(target), replicas: previous });
    return { rolledBack: true, detail: `scaled back to ${previous} replica(s)` };
  }

  const inspectTool = createInspectContainerTool({ docker, envAllowlist });
  const promTools: Tool[] = opts.prometheusUrl
    ? [
        createPrometheusQueryTool({ prometheusUrl: opts.prometheusUrl }),
        createPrometheusRangeQueryTool({ prometheusUrl: opts.prometheusUrl }),
      ]
    : [];

  return {
    kinds: ["docker_container", "docker_service"],
    actions: ACTIONS,
    locate,

    readOnlyTools(target: Target): Tool[] {
      const read = { logs: logsTool, inspect: inspectTool, events: eventsTool, stats: statsTool };
      return [...dockerReadTools(target, read as unknown as DockerReadTools), ...promTools];
    },

    async investigate(target, alerts): Promise<Evidence> {
      const collectedAt = new Date().toISOString();
      let { obs, errors } = await observe(target, alerts);
      let signals = dockerSignals(obs);
      // A crash loop caught in its first seconds has not said why yet: look once more, as a person would,
      // before deciding on a loop whose cause is unknown.
      const crashing = signals.some((s) => s.name === "crash_loop");
      const explained = signals.some((s) => s.name === "config_error" || s.name === "oom_killed");
      if (crashing && !explained && clock.now() - Date.parse(obs.snapshot.state.startedAt) < YOUNG_CRASH_MS) {
        await clock.sleep(SECOND_LOOK_MS);
        ({ obs, errors } = await observe(target, alerts));
        signals = dockerSignals(obs);
      }
      return {
        collectedAt,
        signals,
        observations: {
          docker_inspect_container: obs.snapshot,
          ...(obs.logs ? { docker_container_logs: { lines: obs.logs.slice(-30) } } : {}),
          ...(obs.stats ? { docker_container_stats: obs.stats } : {}),
          ...(obs.probe ? { http_health_probe: obs.probe } : {}),
          ...(obs.swarm ? { swarm_task: obs.swarm } : {}),
        },
        errors,
      };
    },

    async execute(decision: Decision, target: Target): Promise<ActionResult> {
      const container = containerRef(target);
      switch (decision.action) {
        case "restart_container":
          return { ...(await restartTool.execute({ container })) };
        case "kill_container":
          return { ...(await killTool.execute({ container })) };
        case "scale_service": {
          // An explicit count, so a replay after a crash can tell whether the scale already happened.
          const replicas = Number(decision.params.replicas);
          if (!Number.isInteger(replicas) || replicas < 1) {
            throw new AegisError("action_failed", "scale_service needs params.replicas (a whole number ≥ 1)");
          }
          return { ...(await scaleTool.execute({ container, replicas })) };
        }
        default:
          throw new AegisError("action_failed", `${decision.action} is not a Docker action`);
      }
    },

    async reconcile(record: ActionRecord, target: Target) {
      const ref = containerRef(target);
      if (record.action === "scale_service") {
        const members = (await listReplicas(docker, { container: ref })).members.length;
        const wanted = Number(record.params.replicas ?? 0);
        return { happened: wanted > 0 && members === wanted, detail: `${members} replica(s) running` };
      }
      // Restart and kill both end in a start: a container started after the intent was recorded got it.
      const c = await inspectSnapshot(docker, ref);
      const { events } = await eventsTool.execute({ container: c.id, sinceIso: record.requestedAt });
      const starts = events.filter((e) => e.action === "start").length;
      const happened = starts > 0 || Date.parse(c.state.startedAt) >= Date.parse(record.requestedAt);
      return {
        happened,
        detail: `${starts} start event(s) since the intent at ${record.requestedAt}; container started at ${c.state.startedAt}`,
      };
    },

    rollback: undo,
    // A person's undo is the same: scale_service is the only Docker action with something to put back.
    undo,
    // Before a person's undo of scale_service: still the count it set, or scaled again since?
    async undoConflict(record: ActionRecord, target: Target) {
      if (record.action !== "scale_service") return undefined;
      // The result lists the members it left running; the decision's count when it recorded none.
      const members = record.result?.replicas;
      const set = Array.isArray(members) ? members.length : Number(record.params.replicas);
      if (!Number.isInteger(set) || set < 1) return undefined;
      const now = (await listReplicas(docker, { container: containerRef(target) })).members.length;
      return now === set
        ? undefined
        : `${target.key} now runs ${now} replica(s), not the ${set} scale_service set: it was scaled again since, and the undo would overwrite that with ${String(record.result?.previousReplicas)}`;
    },

    async checkHealth(target, alerts, since, decision): Promise<Verification> {
      const checkedAt = new Date().toISOString();
      const evidence: Verification["evidence"] = [];
      const ref = containerRef(target);
      let c: ContainerSnapshot;
      try {
        c = await inspectSnapshot(docker, ref);
      } catch (err) {
        return {
          healthy: false,
          evidence: [{ check: "container", ok: false, detail: describeError(err) }],
          checkedAt,
        };
      }
      evidence.push({
        check: "running",
        ok: c.state.running && !c.state.restarting,
        detail: `status ${c.state.status}${c.state.restarting ? " (restarting)" : ""}, exit code ${c.state.exitCode}`,
      });
      if (decision.action === "restart_container" || decision.action === "kill_container") {
        const fresh = Date.parse(c.state.startedAt) >= Date.parse(since);
        evidence.push({ check: "restarted", ok: fresh, detail: `started at ${c.state.startedAt}` });
      }
      if (c.health) {
        const lastRun = c.health.log.at(-1);
        const freshRun = lastRun !== undefined && Date.parse(lastRun.end) >= Date.parse(since);
        evidence.push({
          check: "docker_healthcheck",
          ok: c.health.status === "healthy" && freshRun,
          detail: `${c.health.status}${freshRun ? "" : " (no health check since the action yet)"}`,
        });
      }
      if (decision.action === "scale_service") {
        const set = await listReplicas(docker, { container: ref });
        for (const m of set.members) {
          const probe = m.healthUrl ? await probeHealth(m.healthUrl, probeTimeoutMs) : undefined;
          evidence.push({
            check: `replica ${m.name}`,
            ok: m.running && (probe?.ok ?? true),
            detail: probe
              ? `${m.healthUrl} → ${probe.status ?? probe.error} in ${probe.latencyMs} ms`
              : m.running
                ? "running"
                : "not running",
          });
        }
      } else {
        const url = healthUrlOf(c, alerts);
        if (url) {
          const probe = await probeHealth(url, probeTimeoutMs);
          evidence.push({
            check: "health_url",
            ok: probe.ok,
            detail: `${url} → ${probe.status ?? probe.error} in ${probe.latencyMs} ms`,
          });
        }
      }
      if (opts.prometheusUrl) evidence.push(...(await prometheusChecks(opts.prometheusUrl, alerts, since)));
      return { healthy: evidence.every((e) => e.ok), evidence, checkedAt };
    },
  };
}

/** The Docker read tools a planner may be offered, unbound. */
export interface DockerReadTools {
  logs: Tool;
  inspect: Tool;
  events: Tool;
  stats: Tool;
}

/**
 * The read tools offered about a Docker target, each bound to the incident's container: the model reads about
 * this target and no other. The evals' recorded environment offers these same definitions.
 */
export function dockerReadTools(target: Target, tools: DockerReadTools): Tool[] {
  if (target.kind !== "docker_container") return [];
  const container = target.id ?? target.name;
  return [tools.logs, tools.inspect, tools.events, tools.stats].map((t) => bindTool(t, { container }));
}
