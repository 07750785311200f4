import type Docker from "dockerode";
import { z } from "zod";
import { AegisError } from "../../core/errors.ts";
import { actionTool } from "../tool.ts";
import type { DockerClient } from "./client.ts";
import { dockerStatus, toAegisError } from "./dockerErrors.ts";
import {
  HEALTH_URL_LABEL,
  listReplicas,
  PORT_ENV_LABEL,
  rawEnv,
  REPLICA_OF_LABEL,
  type Replica,
  type ReplicaSet,
} from "./replicaSet.ts";
import { freeLoopbackPort } from "../../core/ports.ts";

export { listReplicas, type Replica, type ReplicaSet, type ReplicaSetRef } from "./replicaSet.ts";

/** Output of `scale_service`. */
export interface ScaleResult {
  replicas: Array<Omit<Replica, "running">>;
  created: string[];
  removed: string[];
  previousReplicas: number;
}

const STOP_TIMEOUT_SECONDS = 10;
const COMPOSE_NUMBER_LABEL = "com.docker.compose.container-number";

/** Point every `:<old port>` in a string at the clone's port (health URLs, HEALTHCHECK commands). */
function swapPort(text: string, oldPort: string | undefined, newPort: number): string {
  if (!oldPort) return text;
  return text.replace(new RegExp(`:${oldPort}(?!\\d)`, "g"), `:${newPort}`);
}

function cloneSpec(
  set: ReplicaSet,
  name: string,
  index: number,
  port: number,
): Docker.ContainerCreateOptions {
  const { template, templateName } = set;
  const cfg = template.Config;
  const host = template.HostConfig;
  const portEnv = cfg.Labels[PORT_ENV_LABEL]!;
  const oldPort = rawEnv(template, portEnv);
  const env = (cfg.Env ?? []).filter((e) => !e.startsWith(`${portEnv}=`));
  env.push(`${portEnv}=${port}`);
  const labels: Record<string, string> = { ...cfg.Labels, [REPLICA_OF_LABEL]: templateName };
  const healthUrl = labels[HEALTH_URL_LABEL];
  if (healthUrl) labels[HEALTH_URL_LABEL] = swapPort(healthUrl, oldPort, port);
  if (labels[COMPOSE_NUMBER_LABEL]) labels[COMPOSE_NUMBER_LABEL] = String(index);
  const healthcheck = cfg.Healthcheck
    ? { ...cfg.Healthcheck, Test: cfg.Healthcheck.Test?.map((part) => swapPort(part, oldPort, port)) }
    : undefined;
  const extra = cfg as { StopSignal?: string; StopTimeout?: number };
  return {
    name,
    // The image id, not its tag: a clone must run what the original runs even if the tag moved since.
    Image: template.Image,
    Cmd: cfg.Cmd,
    Entrypoint: cfg.Entrypoint,
    Env: env,
    Labels: labels,
    Healthcheck: healthcheck,
    WorkingDir: cfg.WorkingDir,
    User: cfg.User,
    Tty: cfg.Tty,
    StopSignal: extra.StopSignal,
    StopTimeout: extra.StopTimeout,
    HostConfig: {
      NetworkMode: host.NetworkMode,
      Memory: host.Memory,
      MemorySwap: host.MemorySwap,
      MemoryReservation: host.MemoryReservation,
      NanoCpus: host.NanoCpus,
      CpuShares: host.CpuShares,
      CpuQuota: host.CpuQuota,
      CpuPeriod: host.CpuPeriod,
      RestartPolicy: host.RestartPolicy,
      Init: host.Init,
      LogConfig: host.LogConfig,
      Binds: host.Binds,
      ExtraHosts: host.ExtraHosts,
    },
  };
}

async function createClone(
  docker: DockerClient,
  set: ReplicaSet,
  index: number,
  taken: Set<number>,
): Promise<string> {
  const name = `${set.templateName}-r${index}`;
  let port = await freeLoopbackPort();
  while (taken.has(port)) port = await freeLoopbackPort();
  taken.add(port);
  let container: Docker.Container | undefined;
  try {
    container = await docker.createContainer(cloneSpec(set, name, index, port));
    await container.start();
    return name;
  } catch (err) {
    // A half-made clone (created, not started) would count as a replica next time: remove it.
    await container?.remove({ force: true }).catch(() => undefined);
    throw toAegisError(err, name, "creating replica", "action_failed");
  }
}

async function removeClone(docker: DockerClient, id: string, name: string): Promise<void> {
  const handle = docker.getContainer(id);
  try {
    await handle.stop({ t: STOP_TIMEOUT_SECONDS });
  } catch (err) {
    const status = dockerStatus(err);
    if (status === 404) return;
    if (status !== 304) throw toAegisError(err, name, "stopping replica", "action_failed");
  }
  try {
    await handle.remove({ force: true });
  } catch (err) {
    if (dockerStatus(err) !== 404) throw toAegisError(err, name, "removing replica", "action_failed");
  }
}

const parameters = z
  .object({
    container: z
      .string()
      .min(1)
      .optional()
      .describe("The original container (name or id) whose replicas to scale; give this or composeService."),
    composeService: z
      .string()
      .min(1)
      .optional()
      .describe("A Docker Compose service name (label com.docker.compose.service); give this or container."),
    replicas: z
      .number()
      .int()
      .min(1)
      .max(10)
      .describe("How many replicas should run, the original included."),
  })
  .refine((v) => (v.container === undefined) !== (v.composeService === undefined), {
    message: "give exactly one of container or composeService",
  });

/** `scale_service`: run N replicas of a container, cloning it (each clone on its own port) or removing clones. */
export function createScaleServiceTool(deps: { docker: DockerClient }) {
  return actionTool({
    action: "scale_service",
    description:
      "Scale a Docker service to a number of replicas: the original container plus clones named " +
      "<name>-r2, <name>-r3 ... with the same image, command, env, limits and health check, each on its own " +
      "port. Scaling down stops and removes the highest-numbered clones; the original is never removed. " +
      "The original needs the label aegis.port-env naming its port env var.",
    parameters,
    execute: async ({ container, composeService, replicas }): Promise<ScaleResult> => {
      const ref = composeService !== undefined ? { composeService } : { container: container! };
      const set = await listReplicas(deps.docker, ref);
      const previousReplicas = set.members.length;
      const created: string[] = [];
      const removed: string[] = [];
      if (replicas > previousReplicas) {
        if (!set.template.Config.Labels?.[PORT_ENV_LABEL]) {
          throw new AegisError(
            "action_failed",
            `cannot clone ${set.templateName}: it has no ${PORT_ENV_LABEL} label. On the host network every ` +
              `replica needs its own port; label the container with ${PORT_ENV_LABEL}=<env var holding its port> (e.g. PORT).`,
          );
        }
        const used = new Set(set.members.map((m) => m.index));
        const taken = new Set(set.members.flatMap((m) => (m.port ? [m.port] : [])));
        for (let index = 2; created.length < replicas - previousReplicas; index++) {
          if (used.has(index)) continue;
          try {
            created.push(await createClone(deps.docker, set, index, taken));
          } catch (err) {
            // Clones made before the failure keep running: say which, so verification and rollback see them.
            const e = err as AegisError;
            throw new AegisError(
              e.code,
              `${e.message} (clones created before the failure: ${created.join(", ") || "none"})`,
              {
                cause: err,
                details: { created },
              },
            );
          }
        }
      } else if (replicas < previousReplicas) {
        const clones = set.members.filter((m) => m.isClone).sort((a, b) => b.index - a.index);
        const excess = previousReplicas - replicas;
        if (clones.length < excess) {
          throw new AegisError(
            "action_failed",
            `cannot scale ${set.templateName} to ${replicas}: only ${clones.length} of its ${previousReplicas} ` +
              `replicas are clones made by AegisOps, and the others are never removed`,
          );
        }
        for (const clone of clones.slice(0, excess)) {
          await removeClone(deps.docker, clone.id, clone.name);
          removed.push(clone.name);
        }
      }
      // By id: the name the caller gave may belong to a clone that was just removed.
      const after = await listReplicas(
        deps.docker,
        "composeService" in ref ? ref : { container: set.template.Id },
      );
      return {
        replicas: after.members.map(({ name, id, port, healthUrl }) => ({ name, id, port, healthUrl })),
        created,
        removed,
        previousReplicas,
      };
    },
  });
}
