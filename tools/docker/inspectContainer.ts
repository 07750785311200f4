import type Docker from "dockerode";
import { z } from "zod";
import { tool } from "../tool.ts";
import type { DockerClient } from "./client.ts";
import { toAegisError } from "./dockerErrors.ts";

/** One run of the container's HEALTHCHECK, as the engine recorded it. */
export interface HealthCheckRun {
  exitCode: number;
  output: string;
  start: string;
  end: string;
}

/** What the agent needs to know about one container, without the engine's full inspect payload. */
export interface ContainerSnapshot {
  id: string;
  name: string;
  image: string;
  imageId: string;
  state: {
    status: string;
    running: boolean;
    restarting: boolean;
    paused: boolean;
    oomKilled: boolean;
    dead: boolean;
    exitCode: number;
    error: string;
    startedAt: string;
    finishedAt: string;
  };
  restartCount: number;
  restartPolicy: string;
  health: { status: string; failingStreak: number; log: HealthCheckRun[] } | null;
  labels: Record<string, string>;
  env: Record<string, string>;
  memoryLimitBytes: number;
  networkMode: string;
  createdAt: string;
}

const HEALTH_LOG_RUNS = 5;
const HEALTH_OUTPUT_CHARS = 300;

/** What an env value not on the allowlist shows: the variable exists, its value is not evidence. */
export const WITHHELD = "[withheld]";

/**
 * Split `KEY=value` entries into a record. Only the names in `allowlist` keep their value; every other value
 * is withheld, whatever its name says: a denylist of secret-looking names misses `LEGACY_SETTING=<key>`.
 */
export function envRecord(
  env: readonly string[] | null | undefined,
  allowlist: ReadonlySet<string> = new Set(),
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of env ?? []) {
    const eq = entry.indexOf("=");
    const key = eq === -1 ? entry : entry.slice(0, eq);
    const value = eq === -1 ? "" : entry.slice(eq + 1);
    out[key] = allowlist.has(key) ? value : WITHHELD;
  }
  return out;
}

/** Reduce an engine inspect payload to a ContainerSnapshot; env values only for `envAllowlist` names. */
export function toSnapshot(
  info: Docker.ContainerInspectInfo,
  envAllowlist: ReadonlySet<string> = new Set(),
): ContainerSnapshot {
  const s = info.State;
  const health = s.Health;
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ""),
    image: info.Config.Image,
    imageId: info.Image,
    state: {
      status: s.Status,
      running: s.Running,
      restarting: s.Restarting,
      paused: s.Paused,
      oomKilled: s.OOMKilled,
      dead: s.Dead,
      exitCode: s.ExitCode,
      error: s.Error,
      startedAt: s.StartedAt,
      finishedAt: s.FinishedAt,
    },
    restartCount: info.RestartCount,
    restartPolicy: info.HostConfig.RestartPolicy?.Name || "no",
    health: health
      ? {
          status: health.Status,
          failingStreak: health.FailingStreak,
          log: (health.Log ?? []).slice(-HEALTH_LOG_RUNS).map((run) => ({
            exitCode: run.ExitCode,
            output: run.Output.trim().slice(0, HEALTH_OUTPUT_CHARS),
            start: run.Start,
            end: run.End,
          })),
        }
      : null,
    labels: { ...info.Config.Labels },
    env: envRecord(info.Config.Env, envAllowlist),
    memoryLimitBytes: info.HostConfig.Memory ?? 0,
    networkMode: info.HostConfig.NetworkMode ?? "default",
    createdAt: info.Created,
  };
}

/**
 * Inspect one container by name or id; an unknown container raises `target_not_found`. Env values are
 * withheld except for the names in `envAllowlist` (the policy's `evidence.envAllowlist`).
 */
export async function inspectSnapshot(
  docker: DockerClient,
  nameOrId: string,
  envAllowlist: readonly string[] = [],
): Promise<ContainerSnapshot> {
  try {
    return toSnapshot(await docker.getContainer(nameOrId).inspect(), new Set(envAllowlist));
  } catch (err) {
    throw toAegisError(err, nameOrId, "inspect of");
  }
}

const parameters = z.object({
  container: z.string().min(1).describe("Container name or id."),
});

/** `docker_inspect_container`: state, exit code, OOM flag, restarts, health-check log, labels and env. */
export function createInspectContainerTool(deps: { docker: DockerClient; envAllowlist?: readonly string[] }) {
  return tool({
    name: "docker_inspect_container",
    description:
      "Inspect a Docker container: status, exit code, OOMKilled, restart count and policy, health-check " +
      "results (last 5 runs), labels, environment (values only of allowlisted variables), memory limit and " +
      "network mode.",
    parameters,
    execute: async ({ container }): Promise<ContainerSnapshot> =>
      inspectSnapshot(deps.docker, container, deps.envAllowlist),
  });
}
