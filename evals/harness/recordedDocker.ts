import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { z } from "zod";
import type { ActionId } from "../../core/catalog.ts";
import { AegisError } from "../../core/errors.ts";
import type { Evidence, Target, Verification } from "../../core/types.ts";
import { dockerReadTools, type DockerReadTools } from "../../agent/platforms/docker/dockerPlatform.ts";
import { dockerSignals, type DockerObservations } from "../../agent/platforms/docker/signals.ts";
import type { Platform } from "../../agent/platforms/platform.ts";
import { has } from "../../agent/signals.ts";
import type { DockerClient } from "../../tools/docker/client.ts";
import { createContainerEventsTool } from "../../tools/docker/containerEvents.ts";
import { createContainerLogsTool } from "../../tools/docker/containerLogs.ts";
import { createContainerStatsTool } from "../../tools/docker/containerStats.ts";
import { createInspectContainerTool } from "../../tools/docker/inspectContainer.ts";
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

/**
 * A Docker platform that answers from recorded tool outputs instead of a live engine: `before` until an
 * action that has an `after` recording is sent, then that recording. The planner, guard, ledger and
 * verification logic are the product's own; only the engine is replayed. An action with no `after`
 * changes nothing, so a wrong action shows up as a container that did not recover.
 */
export function createRecordedDockerPlatform(env: {
  container: string;
  before: Recording;
  after: Partial<Record<ActionId, Recording>>;
}): { platform: Platform; log: RecordedDockerLog } {
  let current = readRecording(env.before);
  const after = Object.fromEntries(
    Object.entries(env.after).map(([a, r]) => [a, readRecording(r as Recording)]),
  ) as Partial<Record<ActionId, DockerObservations>>;
  const log: RecordedDockerLog = { sent: [] };
  const matches = (t: Target) =>
    t.kind === "docker_container" && (t.name === env.container || t.name === current.snapshot.name);
  const observed = (): Record<string, unknown> => ({
    docker_inspect_container: current.snapshot,
    ...(current.logs ? { docker_container_logs: { lines: current.logs.slice(-30) } } : {}),
    ...(current.stats ? { docker_container_stats: current.stats } : {}),
    ...(current.probe ? { http_health_probe: current.probe } : {}),
  });
  const readTools = recordedReadTools(() => current);

  const platform: Platform = {
    kinds: ["docker_container"],
    actions: ["restart_container", "kill_container", "scale_service"],

    async locate(target) {
      if (!matches(target)) return { ok: false, reason: `no container named ${JSON.stringify(target.key)}` };
      return { ok: true, target, instanceId: current.snapshot.id };
    },

    // The production tool definitions (names, descriptions, parameters, binding), answered from the recording.
    readOnlyTools(target) {
      return dockerReadTools(target, readTools);
    },

    async investigate(): Promise<Evidence> {
      return {
        collectedAt: new Date().toISOString(),
        signals: dockerSignals(current, recordedAt(current)),
        observations: observed(),
        errors: [],
      };
    },

    async execute(decision, target) {
      log.sent.push({ action: decision.action, target: target.key });
      const next = after[decision.action];
      if (next) current = next;
      return { replayed: true, changed: next !== undefined };
    },

    async reconcile(record) {
      const happened = log.sent.some((s) => s.action === record.action);
      return { happened, detail: happened ? "sent to the recorded environment" : "not sent yet" };
    },

    async rollback(record) {
      return { rolledBack: false, detail: `${record.action} has no undo in a recorded environment` };
    },

    async checkHealth(): Promise<Verification> {
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

/** The engine is never reached: the tools are built for their definitions only; execute answers from recordings. */
const NO_ENGINE = {} as DockerClient;

/**
 * Docker's read tools as production builds them, each answering from the recording current when it is called:
 * logs (their newest `tail` lines), inspect, stats. Events were never recorded: that call fails and says so,
 * rather than answering an empty list that would claim nothing happened.
 */
function recordedReadTools(current: () => DockerObservations): DockerReadTools {
  const replaying = <S extends z.ZodType>(t: Tool<S>, answer: (input: z.output<S>) => unknown): Tool => ({
    ...t,
    execute: async (input) => answer(t.parameters.parse(input)),
  });
  return {
    logs: replaying(createContainerLogsTool({ docker: NO_ENGINE }), ({ tail }) => ({
      lines: (current().logs ?? []).slice(-tail),
    })),
    inspect: replaying(createInspectContainerTool({ docker: NO_ENGINE }), () => current().snapshot),
    stats: replaying(createContainerStatsTool({ docker: NO_ENGINE }), () => {
      const stats = current().stats;
      if (!stats) throw new AegisError("tool_failed", "no stats were recorded for this container");
      return stats;
    }),
    events: replaying(createContainerEventsTool({ docker: NO_ENGINE }), () => {
      throw new AegisError("tool_failed", "container events were not recorded in this environment");
    }),
  };
}
