import { z } from "zod";
import type { SimContext } from "./controllers/context.ts";
import { R } from "./controllers/context.ts";
import { journal } from "./controllers/nodeHealth.ts";
import { ApiError } from "./http/status.ts";
import { resourceOf } from "./resources.ts";
import { killContainer } from "./controllers/kubelet.ts";
import type { KubeObject, Pod } from "./types.ts";

/** What `POST /sim/nodes/NAME` may change on a node (the causes; the node's status follows from them). */
export const nodeChangeSchema = z
  .object({
    /** Memory used outside the pods (MiB); MemoryPressure and evictions follow when the node runs short. */
    outsideMemoryMiB: z.number().min(0).optional(),
    /** Root filesystem used outside the pods (GiB); DiskPressure below 10 % available, with evictions. */
    outsideDiskGiB: z.number().min(0).optional(),
    /** Processes outside the pods; PIDPressure at 90 % of pidMax. */
    outsidePids: z.number().int().min(0).optional(),
    pidMax: z.number().int().positive().optional(),
    /** The CNI plugin is down: NetworkUnavailable, Ready=False, sandboxes fail. */
    networkUnavailable: z.boolean().optional(),
    /** The kubelet stops (true) or runs again (false). */
    kubeletDown: z.boolean().optional(),
    /** The kubelet flaps: stopped every other period of this many ms; 0 stops the flapping. */
    kubeletFlapPeriodMs: z.number().int().min(0).optional(),
    /** NIC packet loss for traffic to the node's pods (0..1). */
    packetLoss: z.number().min(0).max(1).optional(),
    /** CPU steal from a noisy neighbour. */
    noisy: z.boolean().optional(),
    /** The node's pods fill its disk. */
    diskFilling: z.boolean().optional(),
    /** Lines appended to the node's kubelet journal as they are (klog text). */
    kubeletLog: z.array(z.string()).optional(),
  })
  .strict();
export type NodeChange = z.infer<typeof nodeChangeSchema>;

/** An Event as a scenario states it: the simulator fills in the object's uid, timestamps and source. */
export const eventSpecSchema = z
  .object({
    involvedObject: z
      .object({ kind: z.string().min(1), name: z.string().min(1), namespace: z.string().optional() })
      .strict(),
    type: z.enum(["Normal", "Warning"]).default("Warning"),
    reason: z.string().min(1),
    message: z.string(),
    /** The reporting component (default: the kubelet for pods and nodes, else the kind's controller). */
    component: z.string().optional(),
    host: z.string().optional(),
    /** Repeats: the event's count. */
    count: z.number().int().positive().default(1),
  })
  .strict();
export type EventSpec = z.input<typeof eventSpecSchema>;

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const r = schema.safeParse(body);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new ApiError("BadRequest", `${what}: ${i.path.join(".") || "body"}: ${i.message}`);
  }
  return r.data;
}

/** Applies a node change; returns the node's world state. */
export function changeNode(ctx: SimContext, name: string, body: unknown): unknown {
  if (!ctx.store.peek(R.nodes, undefined, name)) throw new ApiError("NotFound", `nodes "${name}" not found`);
  const c = parse(nodeChangeSchema, body, "node change");
  const st = ctx.world.node(name);
  if (c.outsideMemoryMiB !== undefined) st.outsideMemoryMiB = c.outsideMemoryMiB;
  if (c.outsidePids !== undefined) st.outsidePids = c.outsidePids;
  if (c.outsideDiskGiB !== undefined) st.outsideDiskGiB = c.outsideDiskGiB;
  if (c.pidMax !== undefined) st.pidMax = c.pidMax;
  if (c.networkUnavailable !== undefined) st.networkUnavailable = c.networkUnavailable;
  if (c.packetLoss !== undefined) st.packetLoss = c.packetLoss;
  if (c.noisy !== undefined) st.noisy = c.noisy;
  if (c.diskFilling !== undefined) st.diskFilling = c.diskFilling;
  if (c.kubeletDown !== undefined) {
    st.kubeletStopped = c.kubeletDown;
    st.kubeletDown = c.kubeletDown;
    journal(
      ctx,
      name,
      "systemd",
      c.kubeletDown
        ? "kubelet.service: Main process exited, code=exited, status=1/FAILURE"
        : "Started kubelet.service - kubelet: The Kubernetes Node Agent.",
    );
  }
  if (c.kubeletFlapPeriodMs !== undefined) {
    if (c.kubeletFlapPeriodMs > 0) {
      st.flapPeriodMs = c.kubeletFlapPeriodMs;
      st.flapSince = ctx.clock.now();
    } else {
      st.flapPeriodMs = undefined;
      st.kubeletDown = st.kubeletStopped ?? false;
    }
  }
  for (const line of c.kubeletLog ?? []) journal(ctx, name, "kubelet", line);
  return { node: name, ...st };
}

/** The node's journal as `journalctl` prints it; `query` filters by unit (kubelet, systemd). */
export function nodeLog(ctx: SimContext, name: string, query?: string | null): string {
  if (!ctx.store.peek(R.nodes, undefined, name)) throw new ApiError("NotFound", `nodes "${name}" not found`);
  const lines = ctx.world.journals.get(name) ?? [];
  const picked = query ? lines.filter((l) => l.includes(` ${query}[`)) : lines;
  return picked.map((l) => `${l}\n`).join("");
}

const COMPONENT: Record<string, string> = {
  Pod: "kubelet",
  Node: "kubelet",
  Deployment: "deployment-controller",
  ReplicaSet: "replicaset-controller",
  StatefulSet: "statefulset-controller",
  DaemonSet: "daemonset-controller",
  Job: "job-controller",
  CronJob: "cronjob-controller",
  Service: "service-controller",
  PersistentVolumeClaim: "persistentvolume-controller",
  HorizontalPodAutoscaler: "horizontal-pod-autoscaler",
};

/** Records an Event about an object (existing or not), as its component would, `count` times. */
export function recordEvent(ctx: SimContext, body: unknown): unknown {
  const e = parse(eventSpecSchema, body, "event");
  const { kind, name } = e.involvedObject;
  let res;
  try {
    res = resourceOf(kind);
  } catch {
    res = undefined;
  }
  const ns = res && !res.namespaced ? undefined : (e.involvedObject.namespace ?? "default");
  const stored = res ? ctx.store.peek(res, ns, name) : undefined;
  const obj: KubeObject = stored ?? {
    apiVersion: res ? (res.group ? `${res.group}/${res.version}` : res.version) : "v1",
    kind,
    metadata: { name, ...(ns ? { namespace: ns } : {}), uid: `sim-${kind}-${ns ?? ""}-${name}` },
  };
  const node = e.host ?? (kind === "Node" ? name : (obj.spec as { nodeName?: string } | undefined)?.nodeName);
  const component = e.component ?? COMPONENT[kind] ?? "kube-controller-manager";
  for (let i = 0; i < e.count; i++) ctx.events.record(obj, e.type, e.reason, e.message, component, node);
  return { recorded: e.count, involvedObject: { kind, name, namespace: ns } };
}

const killSchema = z.object({ container: z.string().min(1).optional() }).strict();

/** Kills a running container of a pod in place (`POST /sim/pods/NS/NAME/kill`); its kubelet restarts it. */
export function killPodContainer(ctx: SimContext, namespace: string, name: string, body: unknown): unknown {
  const pod = ctx.store.peek(R.pods, namespace, name) as Pod | undefined;
  if (!pod) throw new ApiError("NotFound", `pods "${name}" not found`);
  const c = parse(killSchema, body ?? {}, "container kill");
  const container = c.container ?? pod.spec.containers[0]?.name ?? "";
  if (!pod.spec.containers.some((x) => x.name === container))
    throw new ApiError("BadRequest", `container ${container} is not valid for pod ${name}`);
  if (!killContainer(ctx, pod, container))
    throw new ApiError("Conflict", `container ${container} of pod ${namespace}/${name} is not running`);
  return { pod: `${namespace}/${name}`, container, exitCode: 137 };
}
