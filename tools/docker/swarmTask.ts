import type { DockerClient } from "./client.ts";

/** The labels the engine puts on a Swarm task's container (docs.docker.com, "How services work"). */
export const SWARM_LABELS = {
  serviceName: "com.docker.swarm.service.name",
  serviceId: "com.docker.swarm.service.id",
  taskName: "com.docker.swarm.task.name",
  taskId: "com.docker.swarm.task.id",
  nodeId: "com.docker.swarm.node.id",
  stack: "com.docker.stack.namespace",
} as const;

/** A Swarm task, as its container's labels name it: `<service>.<slot>.<task id>` (a global service's slot is the node id). */
export interface SwarmTask {
  service: string;
  slot: string;
  taskId: string;
}

/** The Swarm task a container runs, or undefined for a container Swarm does not manage. */
export function swarmTaskOf(labels: Readonly<Record<string, string>>): SwarmTask | undefined {
  const service = labels[SWARM_LABELS.serviceName];
  const taskName = labels[SWARM_LABELS.taskName];
  if (!service || !taskName?.startsWith(`${service}.`)) return undefined;
  const rest = taskName.slice(service.length + 1);
  const dot = rest.lastIndexOf(".");
  if (dot <= 0) return undefined;
  return { service, slot: rest.slice(0, dot), taskId: labels[SWARM_LABELS.taskId] ?? rest.slice(dot + 1) };
}

/** A container as the replacement search needs it. */
export interface TaskContainer {
  name: string;
  labels: Readonly<Record<string, string>>;
  running: boolean;
}

/** The running container of another task in the same service and slot: Swarm's replacement of `task`. */
export function replacementAmong(task: SwarmTask, containers: readonly TaskContainer[]): string | undefined {
  return containers.find((c) => {
    const other = c.running ? swarmTaskOf(c.labels) : undefined;
    return (
      other && other.service === task.service && other.slot === task.slot && other.taskId !== task.taskId
    );
  })?.name;
}

/** Ask the engine for the running container Swarm started in `task`'s slot after it, if any. */
export async function findReplacementTask(
  docker: DockerClient,
  task: SwarmTask,
): Promise<string | undefined> {
  const list = await docker.listContainers({
    all: false,
    filters: { label: [`${SWARM_LABELS.serviceName}=${task.service}`] },
  });
  return replacementAmong(
    task,
    list.map((c) => ({
      name: (c.Names[0] ?? c.Id).replace(/^\//, ""),
      labels: c.Labels ?? {},
      running: c.State === "running",
    })),
  );
}
