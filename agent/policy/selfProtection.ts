import { readFileSync } from "node:fs";
import type { Target } from "../../core/types.ts";

/** Who AegisOps itself is: what it must never act on. */
export interface SelfIdentity {
  /** Full ids of the container this process runs in (Docker, containerd), from /proc. */
  containerIds: string[];
  /** The container's hostname: Docker sets it to the id's first 12 characters unless told otherwise. */
  hostname?: string | undefined;
  /** The pod, from the downward API (AEGIS_POD_NAME, AEGIS_POD_NAMESPACE). */
  pod?: { name: string; namespace: string } | undefined;
  /** The node the pod runs on (AEGIS_NODE_NAME): draining it would evict AegisOps mid-action. */
  node?: string | undefined;
}

const ID = /(?:^|[/:-])([0-9a-f]{64})(?:\.scope)?(?=$|[/\s])/;

/**
 * Container ids named by /proc/self/cgroup (cgroup v1 `.../docker/<id>`, systemd `docker-<id>.scope`,
 * `cri-containerd-<id>.scope`) and /proc/self/mountinfo (the engine's `/containers/<id>/hostname` bind
 * mounts, which cgroup v2 namespaces leave visible when /proc/self/cgroup says only `0::/`).
 */
export function containerIdsFrom(cgroup: string, mountinfo: string): string[] {
  const ids = new Set<string>();
  for (const line of cgroup.split("\n")) {
    const path = line.split(":").slice(2).join(":");
    for (const part of path.split("/")) {
      const m = ID.exec(part);
      if (m?.[1]) ids.add(m[1]);
    }
  }
  for (const line of mountinfo.split("\n")) {
    const root = line.split(" ")[3] ?? "";
    const m = /\/containers\/([0-9a-f]{64})\//.exec(root);
    if (m?.[1]) ids.add(m[1]);
  }
  return [...ids];
}

/** Read this process's identity from /proc and what the environment says (config.self). */
export function detectSelf(
  env: {
    podName?: string | undefined;
    podNamespace?: string | undefined;
    nodeName?: string | undefined;
    hostname?: string | undefined;
  },
  read: (path: string) => string = readProc,
): SelfIdentity {
  return {
    containerIds: containerIdsFrom(read("/proc/self/cgroup"), read("/proc/self/mountinfo")),
    hostname: env.hostname,
    pod: env.podName && env.podNamespace ? { name: env.podName, namespace: env.podNamespace } : undefined,
    node: env.nodeName,
  };
}

function readProc(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return ""; // not Linux, or /proc not mounted: nothing to learn there
  }
}

/**
 * Why this located target is AegisOps itself, or undefined. `instanceId` is the container id (Docker) the
 * platform resolved the target to.
 */
export function selfReason(
  self: SelfIdentity | undefined,
  target: Target,
  instanceId: string | null,
): string | undefined {
  if (!self) return undefined;
  const why = (what: string) => `self_protection: ${what} is AegisOps itself; it never acts on itself`;
  switch (target.kind) {
    case "docker_container": {
      const id = instanceId ?? target.id;
      if (!id) return undefined;
      if (self.containerIds.includes(id)) return why(`container ${target.name}`);
      // No id in /proc (e.g. a rootless engine): Docker's default hostname is the id's first 12 characters.
      if (
        self.containerIds.length === 0 &&
        self.hostname &&
        /^[0-9a-f]{12}$/.test(self.hostname) &&
        id.startsWith(self.hostname)
      )
        return why(`container ${target.name}`);
      return undefined;
    }
    case "k8s_workload": {
      const pod = self.pod;
      if (!pod || pod.namespace !== target.namespace) return undefined;
      if (target.workload === "pod" && target.name === pod.name)
        return why(`pod ${pod.namespace}/${pod.name}`);
      // A Deployment's pods are named <deployment>-<replicaset hash>-<suffix>.
      if (target.workload === "deployment" && ownsPod(target.name, pod.name, 2))
        return why(`deployment ${target.namespace}/${target.name} (it runs pod ${pod.name})`);
      // StatefulSet pods are <name>-<ordinal>; DaemonSet pods <name>-<suffix>.
      if (target.workload === "statefulset" && new RegExp(`^${escape(target.name)}-\\d+$`).test(pod.name))
        return why(`statefulset ${target.namespace}/${target.name} (it runs pod ${pod.name})`);
      if (target.workload === "daemonset" && ownsPod(target.name, pod.name, 1))
        return why(`daemonset ${target.namespace}/${target.name} (it runs pod ${pod.name})`);
      // Whatever else runs beside it (its database, its proxy) is its own too.
      return `self_protection: namespace ${pod.namespace} is AegisOps' own namespace; it never acts there`;
    }
    case "k8s_node":
      return self.node && self.node === target.name
        ? why(`node ${target.name} (it runs AegisOps' pod)`)
        : undefined;
    default:
      return undefined;
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Whether `pod` is named like a pod of workload `name`: the name, then `segments` generated suffixes. */
function ownsPod(name: string, pod: string, segments: number): boolean {
  return new RegExp(`^${escape(name)}(-[a-z0-9]{1,10}){${segments}}$`).test(pod);
}
