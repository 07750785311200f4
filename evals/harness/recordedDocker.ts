import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { z } from "zod";
import type { ActionId } from "../../core/catalog.ts";
import { AegisError } from "../../core/errors.ts";
import type { Evidence, Target, Verification } from "../../core/types.ts";
import {
  dockerReadTools,
  pickServiceMember,
  type DockerReadTools,
} from "../../agent/platforms/docker/dockerPlatform.ts";
import { dockerSignals, type DockerObservations } from "../../agent/platforms/docker/signals.ts";
import type { Located, Platform } from "../../agent/platforms/platform.ts";
import { has } from "../../agent/signals.ts";
import type { DockerClient } from "../../tools/docker/client.ts";
import { createContainerEventsTool } from "../../tools/docker/containerEvents.ts";
import { createContainerLogsTool } from "../../tools/docker/containerLogs.ts";
import { createContainerStatsTool } from "../../tools/docker/containerStats.ts";
import { createInspectContainerTool } from "../../tools/docker/inspectContainer.ts";
import {
  replacementAmong,
  SWARM_LABELS,
  swarmTaskOf,
  type TaskContainer,
} from "../../tools/docker/swarmTask.ts";
import type { Tool } from "../../tools/tool.ts";

/** Recorded Docker tool outputs (captured from real containers by test/fixtures/docker/capture.ts). */
export const RECORDED_DOCKER_DIR = new URL("../recorded/docker/", import.meta.url).pathname;

type Recording = string | Record<string, unknown>;

/** A recording by file name (relative to evals/recorded/docker/) or inline. */
export function readRecording(r: Recording): DockerObservations {
  if (typeof r !== "string") return r as unknown as DockerObservations;
  const path = isAbsolute(r) ? r : join(RECORDED_DOCKER_DIR, r.endsWith(".json") ? r : `${r}.json`);
  try {
    return JSON.parse(readFileSync(path, "utf8")) as DockerObservations;
  } catch (err) {
    throw new AegisError("config_invalid", `recorded Docker observations ${r}: ${(err as Error).message}`);
  }
}

const ISO = /"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)"/g;

/** When a recording was made: its newest timestamp (signals compare restart times with "now"). */
function recordedAt(obs: DockerObservations): number {
  let newest = 0;
  for (const m of JSON.stringify(obs).matchAll(ISO)) newest = Math.max(newest, Date.parse(m[1]!));
  return newest || Date.now();
}

/** What the replayed Docker environment saw: every action sent to it, in order. */
export interface RecordedDockerLog {
  sent: Array<{ action: ActionId; target: string }>;
}

/** One container of a recorded environment as a scenario describes it (see DockerContainerSpec). */
export interface RecordedContainer {
  name?: string | undefined;
  compose?: { project: string; service: string; number: number; oneoff: boolean } | undefined;
  swarm?:
    | { service: string; slot: number; taskId?: string | undefined; node: string; stack?: string | undefined }
    | undefined;
  labels?: Record<string, string>;
  before: Recording;
  after?: Partial<Record<ActionId, Recording>>;
}

/** A recorded environment: one container (the original form) or a host of several. */
export type RecordedDockerEnv =
  | { container: string; before: Recording; after: Partial<Record<ActionId, Recording>> }
  | { containers: readonly RecordedContainer[] };

/** Docker Compose's and Swarm's container labels (as `docker compose` and the engine set them). */
export const COMPOSE = {
  project: "com.docker.compose.project",
  service: "com.docker.compose.service",
  number: "com.docker.compose.container-number",
  oneoff: "com.docker.compose.oneoff",
} as const;
export const SWARM = SWARM_LABELS;
const PROTECTED_LABEL = "aegis.protected";

const hex = (text: string, length: number) =>
  createHash("sha256").update(text).digest("hex").slice(0, length);

/** A container's name and the labels Compose or Swarm give it (beyond the recording's own). */
export function containerIdentity(c: RecordedContainer): { name: string; labels: Record<string, string> } {
  const labels: Record<string, string> = { ...c.labels };
  let name = c.name;
  if (c.compose) {
    const { project, service, number, oneoff } = c.compose;
    Object.assign(labels, {
      [COMPOSE.project]: project,
      [COMPOSE.service]: service,
      [COMPOSE.number]: String(number),
      [COMPOSE.oneoff]: oneoff ? "True" : "False",
    });
    // Compose v2 names: <project>-<service>-<n>; a `run` container: <project>-<service>-run-<id>.
    name ??= oneoff
      ? `${project}-${service}-run-${hex(`${project}/${service}/${number}`, 12)}`
      : `${project}-${service}-${number}`;
  }
  if (c.swarm) {
    const { service, slot, node, stack } = c.swarm;
    const taskId = c.swarm.taskId ?? hex(`${service}.${slot}`, 25);
    const taskName = `${service}.${slot}.${taskId}`;
    Object.assign(labels, {
      [SWARM.serviceName]: service,
      [SWARM.serviceId]: hex(`service/${service}`, 25),
      [SWARM.taskName]: taskName,
      [SWARM.taskId]: taskId,
      [SWARM.nodeId]: node,
      ...(stack ? { [SWARM.stack]: stack } : {}),
    });
    name ??= taskName;
  }
  if (!name) throw new AegisError("config_invalid", "a recorded container needs a name, compose or swarm");
  return { name, labels };
}

/** One replayed container: what its tools return now, and after each action. */
interface Replayed {
  name: string;
  id: string;
  current: DockerObservations;
  after: Partial<Record<ActionId, DockerObservations>>;
  /** The original single-container form: the scenario's name is an alias, the recording keeps its own. */
  alias?: string;
}

function replayedContainers(env: RecordedDockerEnv): Replayed[] {
  const afterOf = (a: Partial<Record<ActionId, Recording>> | undefined) =>
    Object.fromEntries(
      Object.entries(a ?? {}).map(([k, r]) => [k, readRecording(r as Recording)]),
    ) as Partial<Record<ActionId, DockerObservations>>;
  if ("container" in env) {
    const current = readRecording(env.before);
    return [
      {
        name: current.snapshot.name,
        id: current.snapshot.id,
        current,
        after: afterOf(env.after),
        alias: env.container,
      },
    ];
  }
  const seen = new Set<string>();
  return env.containers.map((c) => {
    const { name, labels } = containerIdentity(c);
    if (seen.has(name)) throw new AegisError("config_invalid", `two recorded containers are named ${name}`);
    seen.add(name);
    const id = hex(`container/${name}`, 64);
    // Every recording of this container shows its name, id and labels, whichever container it was captured from.
    const own = (o: DockerObservations): DockerObservations => ({
      ...o,
      snapshot: { ...o.snapshot, name, id, labels: { ...o.snapshot.labels, ...labels } },
    });
    const after = afterOf(c.after);
    return {
      name,
      id,
      current: own(readRecording(c.before)),
      after: Object.fromEntries(Object.entries(after).map(([k, o]) => [k, own(o)])),
    };
  });
}

/**
 * A Docker platform that answers from recorded tool outputs instead of a live engine: per container, `before` until
 * an action that has an `after` recording is sent to it, then that recording. The planner, guard, ledger and
 * verification logic are the product's own; only the engine is replayed. An action with no `after` changes
 * nothing, so a wrong action (or one sent to the wrong container) shows up as a container that did not recover.
 * Targets are found as the engine and the product find them: a container by name or id prefix; a Compose service
 * by its members' `com.docker.compose.service` label (one project only), acting on the member the product picks.
 */
export function createRecordedDockerPlatform(env: RecordedDockerEnv): {
  platform: Platform;
  log: RecordedDockerLog;
} {
  const containers = replayedContainers(env);
  const log: RecordedDockerLog = { sent: [] };
  const byRef = (ref: string): Replayed | undefined =>
    containers.find((c) => c.name === ref || c.alias === ref || c.current.snapshot.name === ref) ??
    (ref.length >= 12 ? containers.find((c) => c.id.startsWith(ref)) : undefined);
  const of = (t: Target): Replayed => {
    const c = t.kind === "docker_container" ? byRef(t.id ?? t.name) : undefined;
    if (!c) throw new AegisError("target_not_found", `no recorded container for ${t.key}`);
    return c;
  };
  const observed = (o: DockerObservations): Record<string, unknown> => ({
    docker_inspect_container: o.snapshot,
    ...(o.logs ? { docker_container_logs: { lines: o.logs.slice(-30) } } : {}),
    ...(o.stats ? { docker_container_stats: o.stats } : {}),
    ...(o.probe ? { http_health_probe: o.probe } : {}),
    ...(o.swarm ? { swarm_task: o.swarm } : {}),
  });
  const readTools = recordedReadTools((ref) => {
    const c = byRef(ref);
    if (!c) throw new AegisError("target_not_found", `no recorded container ${JSON.stringify(ref)}`);
    return c.current;
  });

  const locateContainer = (target: Target, name: string): Located => {
    const c = byRef(name);
    if (!c) return { ok: false, reason: `no container named ${JSON.stringify(name)}` };
    // The one-container form answers as it always did: the alert's target, unchanged.
    if (c.alias !== undefined) return { ok: true, target, instanceId: c.id };
    const located: Target = { kind: "docker_container", key: target.key, name: c.name, id: c.id };
    const base = { ok: true as const, target: located, instanceId: c.id };
    const identity = `docker:container/${c.id}`;
    return c.current.snapshot.labels[PROTECTED_LABEL] === "true"
      ? { ...base, identity, protectedReason: `container ${c.name} is protected by policy` }
      : { ...base, identity };
  };

  const platform: Platform = {
    kinds: ["docker_container", "docker_service"],
    actions: ["restart_container", "kill_container", "scale_service"],

    async locate(target) {
      if (target.kind === "docker_container") return locateContainer(target, target.name);
      if (target.kind !== "docker_service")
        return { ok: false, reason: `not a Docker target: ${target.kind}` };
      // As the Docker platform: one-off `compose run` containers are not members; a named project narrows.
      const members = containers
        .filter((c) => {
          const labels = c.current.snapshot.labels;
          return (
            labels[COMPOSE.service] === target.service &&
            !/^true$/i.test(labels[COMPOSE.oneoff] ?? "") &&
            (target.project === undefined || labels[COMPOSE.project] === target.project)
          );
        })
        .sort((a, b) => a.name.localeCompare(b.name));
      if (members.length === 0)
        return { ok: false, reason: `no container of compose service ${target.service}` };
      const projects = new Set(members.map((m) => m.current.snapshot.labels[COMPOSE.project] ?? ""));
      if (projects.size > 1)
        return {
          ok: false,
          reason: `compose service ${target.service} exists in several projects (${[...projects].join(", ")})`,
        };
      const pick = pickServiceMember(
        members.map((m) => {
          const { state } = m.current.snapshot;
          return { name: m.name, running: state.running && !state.restarting };
        }),
        target.member,
      );
      const member = locateContainer(
        { kind: "docker_container", key: target.key, name: pick.name },
        pick.name,
      );
      return member.ok ? { ...member, identity: target.key } : member;
    },

    // The production tool definitions (names, descriptions, parameters, binding), answered from the recording.
    readOnlyTools(target) {
      return dockerReadTools(target, readTools);
    },

    async investigate(target): Promise<Evidence> {
      const { current: recorded } = of(target);
      // As the Docker platform: a stopped Swarm task is looked up with the replacement Swarm started in its slot.
      const task = recorded.snapshot.state.running ? undefined : swarmTaskOf(recorded.snapshot.labels);
      const replacement = task ? replacementAmong(task, containers.map(taskContainer)) : undefined;
      const current = task
        ? { ...recorded, swarm: replacement ? { task, replacement } : { task } }
        : recorded;
      return {
        collectedAt: new Date().toISOString(),
        signals: dockerSignals(current, recordedAt(current)),
        observations: observed(current),
        errors: [],
      };
    },

    async execute(decision, target) {
      log.sent.push({ action: decision.action, target: target.key });
      const c = of(target);
      const next = c.after[decision.action];
      if (next) c.current = next;
      return { replayed: true, changed: next !== undefined };
    },

    async reconcile(record) {
      const happened = log.sent.some((s) => s.action === record.action);
      return { happened, detail: happened ? "sent to the recorded environment" : "not sent yet" };
    },

    async rollback(record) {
      return { rolledBack: false, detail: `${record.action} has no undo in a recorded environment` };
    },

    async checkHealth(target): Promise<Verification> {
      const { current } = of(target);
      const signals = dockerSignals(current, recordedAt(current));
      const healthy = has(signals, "healthy");
      return {
        healthy,
        evidence: signals.map((s) => ({ check: s.name, ok: s.name === "healthy", detail: s.detail })),
        checkedAt: new Date().toISOString(),
      };
    },
  };
  return { platform, log };
}

const taskContainer = (c: Replayed): TaskContainer => ({
  name: c.name,
  labels: c.current.snapshot.labels,
  running: c.current.snapshot.state.running,
});

/** The engine is never reached: the tools are built for their definitions only; execute answers from recordings. */
const NO_ENGINE = {} as DockerClient;

/**
 * Docker's read tools as production builds them, each answering from the recording current when it is called:
 * logs (their newest `tail` lines), inspect, stats. Events were never recorded: that call fails and says so,
 * rather than answering an empty list that would claim nothing happened.
 */
function recordedReadTools(current: (container: string) => DockerObservations): DockerReadTools {
  const replaying = <S extends z.ZodType>(t: Tool<S>, answer: (input: z.output<S>) => unknown): Tool => ({
    ...t,
    execute: async (input) => answer(t.parameters.parse(input)),
  });
  return {
    logs: replaying(createContainerLogsTool({ docker: NO_ENGINE }), ({ container, tail }) => ({
      lines: (current(container).logs ?? []).slice(-tail),
    })),
    inspect: replaying(
      createInspectContainerTool({ docker: NO_ENGINE }),
      ({ container }) => current(container).snapshot,
    ),
    stats: replaying(createContainerStatsTool({ docker: NO_ENGINE }), ({ container }) => {
      const stats = current(container).stats;
      if (!stats) throw new AegisError("tool_failed", "no stats were recorded for this container");
      return stats;
    }),
    events: replaying(createContainerEventsTool({ docker: NO_ENGINE }), () => {
      throw new AegisError("tool_failed", "container events were not recorded in this environment");
    }),
  };
}
