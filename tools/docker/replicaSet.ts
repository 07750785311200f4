import type Docker from "dockerode";
import { AegisError } from "../../core/errors.ts";
import type { DockerClient } from "./client.ts";
import { toAegisError } from "./dockerErrors.ts";

/** Label on a clone naming the container it was cloned from. */
export const REPLICA_OF_LABEL = "aegis.replica-of";
/** Label on a container naming the env var that holds its listening port (needed to clone it on the host network). */
export const PORT_ENV_LABEL = "aegis.port-env";
/** Label holding a container's health URL. */
export const HEALTH_URL_LABEL = "aegis.health-url";
/** Docker Compose's service label. */
export const COMPOSE_SERVICE_LABEL = "com.docker.compose.service";
const COMPOSE_PROJECT_LABEL = "com.docker.compose.project";
/** Set on containers of `docker compose run` (one-off tasks), which `docker compose ps` does not count. */
const COMPOSE_ONEOFF_LABEL = "com.docker.compose.oneoff";

/** Which set of replicas: a container (the original or one of its clones) or a Compose service. */
export type ReplicaSetRef = string | { container: string } | { composeService: string; project?: string };

/** One member of a replica set. */
export interface Replica {
  name: string;
  id: string;
  port: number | null;
  healthUrl: string | null;
  running: boolean;
}

/** A replica set: the template that clones copy, and every member (template first, then clones by number). */
export interface ReplicaSet {
  template: Docker.ContainerInspectInfo;
  templateName: string;
  members: Array<Replica & { index: number; isClone: boolean }>;
}

function nameOf(info: Docker.ContainerInspectInfo): string {
  return info.Name.replace(/^\//, "");
}

/** The raw (unredacted) value of one env var of a container. */
export function rawEnv(info: Docker.ContainerInspectInfo, key: string): string | undefined {
  const entry = (info.Config.Env ?? []).find((e) => e.startsWith(`${key}=`));
  return entry?.slice(key.length + 1);
}

function toMember(info: Docker.ContainerInspectInfo, templateName: string) {
  const name = nameOf(info);
  const labels = info.Config.Labels ?? {};
  const portEnv = labels[PORT_ENV_LABEL];
  const port = portEnv ? Number(rawEnv(info, portEnv)) : NaN;
  const isClone = labels[REPLICA_OF_LABEL] === templateName;
  const match = isClone ? new RegExp(`-r(\\d+)$`).exec(name) : null;
  return {
    name,
    id: info.Id,
    port: Number.isInteger(port) && port > 0 ? port : null,
    healthUrl: labels[HEALTH_URL_LABEL] ?? null,
    // A container the engine is restarting reports Running too; it serves nothing meanwhile.
    running: info.State.Running && !info.State.Restarting,
    index: match ? Number(match[1]) : isClone ? Number.MAX_SAFE_INTEGER : 1,
    isClone,
  };
}

async function inspect(docker: DockerClient, nameOrId: string): Promise<Docker.ContainerInspectInfo> {
  try {
    return await docker.getContainer(nameOrId).inspect();
  } catch (err) {
    throw toAegisError(err, nameOrId, "inspect of");
  }
}

async function inspectAll(docker: DockerClient, label: string): Promise<Docker.ContainerInspectInfo[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [label] } });
  const infos = await Promise.all(
    list.map((c) =>
      docker
        .getContainer(c.Id)
        .inspect()
        .catch(() => null),
    ),
  );
  // A container removed between list and inspect is simply no longer a member.
  return infos.filter((i): i is Docker.ContainerInspectInfo => i !== null);
}

async function composeTemplate(docker: DockerClient, service: string, project?: string) {
  const labelled = await inspectAll(docker, `${COMPOSE_SERVICE_LABEL}=${service}`);
  const members = labelled.filter(
    (m) =>
      !/^true$/i.test(m.Config.Labels?.[COMPOSE_ONEOFF_LABEL] ?? "") &&
      (project === undefined || m.Config.Labels?.[COMPOSE_PROJECT_LABEL] === project),
  );
  if (members.length === 0) {
    const where = project === undefined ? "" : ` in project ${project}`;
    throw new AegisError("target_not_found", `no container of compose service ${service}${where} found`);
  }
  const projects = new Set(members.map((m) => m.Config.Labels?.[COMPOSE_PROJECT_LABEL] ?? ""));
  if (projects.size > 1) {
    throw new AegisError(
      "target_ambiguous",
      `compose service ${service} exists in several projects (${[...projects].join(", ")})`,
    );
  }
  const originals = members.filter((m) => !m.Config.Labels?.[REPLICA_OF_LABEL]);
  const pool = originals.length > 0 ? originals : members;
  const template = [...pool].sort((a, b) => nameOf(a).localeCompare(nameOf(b)))[0]!;
  return { template, members };
}

/** Resolve a replica set; a clone resolves to the set of the container it was cloned from. */
export async function listReplicas(docker: DockerClient, ref: ReplicaSetRef): Promise<ReplicaSet> {
  const target = typeof ref === "string" ? { container: ref } : ref;
  let template: Docker.ContainerInspectInfo;
  let members: Docker.ContainerInspectInfo[];
  if ("composeService" in target) {
    ({ template, members } = await composeTemplate(docker, target.composeService, target.project));
  } else {
    template = await inspect(docker, target.container);
    const originalName = template.Config.Labels?.[REPLICA_OF_LABEL];
    if (originalName) template = await inspect(docker, originalName);
    members = [template];
  }
  const templateName = nameOf(template);
  const clones = await inspectAll(docker, `${REPLICA_OF_LABEL}=${templateName}`);
  const byId = new Map([...members, ...clones].map((m) => [m.Id, m]));
  const all = [...byId.values()].map((m) => toMember(m, templateName));
  all.sort(
    (a, b) =>
      Number(b.id === template.Id) - Number(a.id === template.Id) ||
      a.index - b.index ||
      a.name.localeCompare(b.name),
  );
  return { template, templateName, members: all };
}
