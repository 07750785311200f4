import type { CronJob } from "../controllers/cronjob.ts";
import type { Job } from "../controllers/job.ts";
import type { StatefulSet } from "../controllers/statefulset.ts";
import type { PriorityClass } from "../controllers/priority.ts";
import type { PersistentVolumeClaim, StorageClass } from "../controllers/storage.ts";
import { selectorString } from "./selectors.ts";
import type {
  DaemonSet,
  Deployment,
  HorizontalPodAutoscaler,
  KubeEvent,
  KubeObject,
  Node,
  Pod,
  PodDisruptionBudget,
  ReplicaSet,
} from "../types.ts";

interface Column {
  name: string;
  type: "string" | "integer" | "date";
  priority: number;
  cell: (o: never, now: number) => string | number;
}

/** Kubernetes' duration.HumanDuration, as the AGE column prints it. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 0) return "0s";
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 730) return `${d}d`;
  const y = Math.floor(d / 365);
  if (y < 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}

const since = (ts: string | null | undefined, now: number) =>
  ts ? humanDuration(now - Date.parse(ts)) : "<unknown>";
const age: Column = {
  name: "Age",
  type: "string",
  priority: 0,
  cell: (o: KubeObject, now: number) => since(o.metadata.creationTimestamp, now),
};
const name: Column = { name: "Name", type: "string", priority: 0, cell: (o: KubeObject) => o.metadata.name };
const col = <T>(
  n: string,
  priority: number,
  cell: (o: T, now: number) => string | number,
  type: Column["type"] = "string",
): Column => ({
  name: n,
  type,
  priority,
  cell: cell as Column["cell"],
});

/** STATUS of a pod, computed the way kubectl's printer does. */
export function podStatus(p: Pod): string {
  let reason = p.status?.reason ?? p.status?.phase ?? "Pending";
  if (
    p.status?.conditions?.some(
      (c) => c.type === "PodScheduled" && c.status === "False" && c.reason === "SchedulingGated",
    )
  )
    reason = "SchedulingGated";
  const inits = p.status?.initContainerStatuses ?? [];
  for (let i = 0; i < inits.length; i++) {
    const cs = inits[i]!;
    if (cs.state.terminated?.exitCode === 0) continue;
    if (cs.state.terminated)
      reason = `Init:${cs.state.terminated.reason || `ExitCode:${cs.state.terminated.exitCode}`}`;
    else if (cs.state.waiting?.reason && cs.state.waiting.reason !== "PodInitializing")
      reason = `Init:${cs.state.waiting.reason}`;
    else reason = `Init:${i}/${p.spec.initContainers?.length ?? inits.length}`;
    return p.metadata.deletionTimestamp ? "Terminating" : reason;
  }
  for (const cs of p.status?.containerStatuses ?? []) {
    if (cs.state.waiting?.reason) reason = cs.state.waiting.reason;
    else if (cs.state.terminated?.reason) reason = cs.state.terminated.reason;
  }
  if (p.metadata.deletionTimestamp) reason = "Terminating";
  return reason;
}

function podRestarts(p: Pod, now: number): string {
  let n = 0;
  let last = 0;
  for (const cs of p.status?.containerStatuses ?? []) {
    n += cs.restartCount;
    const f = cs.lastState.terminated?.finishedAt;
    if (f) last = Math.max(last, Date.parse(f));
  }
  return last && n > 0 ? `${n} (${humanDuration(now - last)} ago)` : String(n);
}

const ready = (p: Pod) => {
  const cs = p.status?.containerStatuses ?? [];
  return `${cs.filter((c) => c.ready).length}/${p.spec.containers.length}`;
};

const nodeStatus = (n: Node) => {
  const r = n.status?.conditions?.find((c) => c.type === "Ready");
  const parts = [r?.status === "True" ? "Ready" : "NotReady"];
  if (n.spec?.unschedulable) parts.push("SchedulingDisabled");
  return parts.join(",");
};

const images = (t: { spec: { containers: { name: string; image?: string }[] } }) => ({
  names: t.spec.containers.map((c) => c.name).join(","),
  images: t.spec.containers.map((c) => c.image ?? "").join(","),
});

const MODES: Record<string, string> = {
  ReadWriteOnce: "RWO",
  ReadOnlyMany: "ROX",
  ReadWriteMany: "RWX",
  ReadWriteOncePod: "RWOP",
};
const accessModes = (m: string[] | undefined) => (m ?? []).map((x) => MODES[x] ?? x).join(",");
const pvSpec = (v: KubeObject) =>
  (v.spec ?? {}) as {
    capacity?: Record<string, string>;
    accessModes?: string[];
    persistentVolumeReclaimPolicy?: string;
    claimRef?: { namespace: string; name: string };
    storageClassName?: string;
    volumeMode?: string;
  };

/** The STATUS column of a Job, as kubectl's printer words it. */
function jobStatus(j: Job): string {
  const has = (t: string) => j.status?.conditions?.some((c) => c.type === t && c.status === "True");
  if (has("Complete")) return "Complete";
  if (has("Failed")) return "Failed";
  if (j.metadata.deletionTimestamp) return "Terminating";
  if (has("FailureTarget")) return "FailureTarget";
  if (has("SuccessCriteriaMet")) return "SuccessCriteriaMet";
  if (j.spec.suspend) return "Suspended";
  return "Running";
}

const intOrPct = (v: number | string | undefined) => (v === undefined ? "N/A" : String(v));

const TABLES: Record<string, Column[]> = {
  Pod: [
    name,
    col<Pod>("Ready", 0, ready),
    col<Pod>("Status", 0, podStatus),
    col<Pod>("Restarts", 0, podRestarts),
    age,
    col<Pod>("IP", 1, (p) => p.status?.podIP ?? "<none>"),
    col<Pod>("Node", 1, (p) => p.spec.nodeName ?? "<none>"),
    col<Pod>("Nominated Node", 1, () => "<none>"),
    col<Pod>("Readiness Gates", 1, () => "<none>"),
  ],
  Deployment: [
    name,
    col<Deployment>("Ready", 0, (d) => `${d.status?.readyReplicas ?? 0}/${d.spec.replicas ?? 1}`),
    col<Deployment>("Up-to-date", 0, (d) => d.status?.updatedReplicas ?? 0, "integer"),
    col<Deployment>("Available", 0, (d) => d.status?.availableReplicas ?? 0, "integer"),
    age,
    col<Deployment>("Containers", 1, (d) => images(d.spec.template).names),
    col<Deployment>("Images", 1, (d) => images(d.spec.template).images),
    col<Deployment>("Selector", 1, (d) => selectorString(d.spec.selector)),
  ],
  ReplicaSet: [
    name,
    col<ReplicaSet>("Desired", 0, (r) => r.spec.replicas ?? 1, "integer"),
    col<ReplicaSet>("Current", 0, (r) => r.status?.replicas ?? 0, "integer"),
    col<ReplicaSet>("Ready", 0, (r) => r.status?.readyReplicas ?? 0, "integer"),
    age,
    col<ReplicaSet>("Containers", 1, (r) => images(r.spec.template).names),
    col<ReplicaSet>("Images", 1, (r) => images(r.spec.template).images),
    col<ReplicaSet>("Selector", 1, (r) => selectorString(r.spec.selector)),
  ],
  DaemonSet: [
    name,
    col<DaemonSet>("Desired", 0, (d) => Number(d.status?.desiredNumberScheduled ?? 0), "integer"),
    col<DaemonSet>("Current", 0, (d) => Number(d.status?.currentNumberScheduled ?? 0), "integer"),
    col<DaemonSet>("Ready", 0, (d) => Number(d.status?.numberReady ?? 0), "integer"),
    col<DaemonSet>("Up-to-date", 0, (d) => Number(d.status?.updatedNumberScheduled ?? 0), "integer"),
    col<DaemonSet>("Available", 0, (d) => Number(d.status?.numberAvailable ?? 0), "integer"),
    col<DaemonSet>("Node Selector", 0, (d) => {
      const ns = d.spec.template.spec.nodeSelector;
      return ns
        ? Object.entries(ns)
            .map(([k, v]) => `${k}=${v}`)
            .join(",")
        : "<none>";
    }),
    age,
  ],
  Node: [
    name,
    col<Node>("Status", 0, nodeStatus),
    col<Node>("Roles", 0, (n) => {
      const roles = Object.keys(n.metadata.labels ?? {})
        .filter((k) => k.startsWith("node-role.kubernetes.io/"))
        .map((k) => k.slice("node-role.kubernetes.io/".length));
      return roles.length ? roles.join(",") : "<none>";
    }),
    age,
    col<Node>("Version", 0, (n) => n.status?.nodeInfo?.kubeletVersion ?? ""),
    col<Node>(
      "Internal-IP",
      1,
      (n) => n.status?.addresses?.find((a) => a.type === "InternalIP")?.address ?? "<none>",
    ),
    col<Node>("External-IP", 1, () => "<none>"),
    col<Node>("OS-Image", 1, (n) => n.status?.nodeInfo?.osImage ?? ""),
    col<Node>("Kernel-Version", 1, (n) => n.status?.nodeInfo?.kernelVersion ?? ""),
    col<Node>("Container-Runtime", 1, (n) => n.status?.nodeInfo?.containerRuntimeVersion ?? ""),
  ],
  Endpoints: [
    name,
    col<KubeObject>("Endpoints", 0, (e) => {
      const subsets = (e.subsets ?? []) as { addresses?: { ip: string }[]; ports?: { port: number }[] }[];
      const all = subsets.flatMap((s) =>
        (s.addresses ?? []).flatMap((a) => (s.ports ?? []).map((p) => `${a.ip}:${p.port}`)),
      );
      if (!all.length) return "<none>";
      return all.length > 3 ? `${all.slice(0, 3).join(",")} + ${all.length - 3} more...` : all.join(",");
    }),
    age,
  ],
  EndpointSlice: [
    name,
    col<KubeObject>("AddressType", 0, (e) => String(e.addressType ?? "IPv4")),
    col<KubeObject>("Ports", 0, (e) => {
      const ports = (e.ports ?? []) as { port?: number }[];
      return ports.length ? ports.map((p) => String(p.port ?? "")).join(",") : "<unset>";
    }),
    col<KubeObject>("Endpoints", 0, (e) => {
      const all = ((e.endpoints ?? []) as { addresses: string[] }[]).flatMap((x) => x.addresses);
      if (!all.length) return "<none>";
      return all.length > 3 ? `${all.slice(0, 3).join(",")} + ${all.length - 3} more...` : all.join(",");
    }),
    age,
  ],
  Service: [
    name,
    col<KubeObject>("Type", 0, (s) => String((s.spec as { type?: string })?.type ?? "ClusterIP")),
    col<KubeObject>("Cluster-IP", 0, (s) =>
      String((s.spec as { clusterIP?: string })?.clusterIP ?? "<none>"),
    ),
    col<KubeObject>("External-IP", 0, () => "<none>"),
    col<KubeObject>("Port(s)", 0, (s) => {
      const ports =
        (s.spec as { ports?: { port: number; protocol?: string; nodePort?: number }[] })?.ports ?? [];
      return ports.length
        ? ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol ?? "TCP"}`).join(",")
        : "<none>";
    }),
    age,
    col<KubeObject>("Selector", 1, (s) => {
      const sel = (s.spec as { selector?: Record<string, string> })?.selector;
      return sel
        ? Object.entries(sel)
            .map(([k, v]) => `${k}=${v}`)
            .join(",")
        : "<none>";
    }),
  ],
  ConfigMap: [
    name,
    col<KubeObject>("Data", 0, (c) => Object.keys((c.data as object) ?? {}).length, "integer"),
    age,
  ],
  Secret: [
    name,
    col<KubeObject>("Type", 0, (s) => String(s.type ?? "Opaque")),
    col<KubeObject>("Data", 0, (s) => Object.keys((s.data as object) ?? {}).length, "integer"),
    age,
  ],
  Namespace: [name, col<KubeObject>("Status", 0, () => "Active"), age],
  Event: [
    col<KubeEvent>("Last Seen", 0, (e, now) => since(e.lastTimestamp, now)),
    col<KubeEvent>("Type", 0, (e) => e.type),
    col<KubeEvent>("Reason", 0, (e) => e.reason),
    col<KubeEvent>("Object", 0, (e) => `${e.involvedObject.kind.toLowerCase()}/${e.involvedObject.name}`),
    col<KubeEvent>("Subobject", 1, () => ""),
    col<KubeEvent>("Source", 1, (e) => e.source.component),
    col<KubeEvent>("Message", 0, (e) => e.message),
    col<KubeEvent>("First Seen", 1, (e, now) => since(e.firstTimestamp, now)),
    col<KubeEvent>("Count", 1, (e) => e.count, "integer"),
    col<KubeEvent>("Name", 1, (e) => e.metadata.name),
  ],
  HorizontalPodAutoscaler: [
    name,
    col<HorizontalPodAutoscaler>(
      "Reference",
      0,
      (h) => `${h.spec.scaleTargetRef.kind}/${h.spec.scaleTargetRef.name}`,
    ),
    col<HorizontalPodAutoscaler>("Targets", 0, (h) => {
      const target = h.spec.metrics?.[0]?.resource;
      const cur = (
        h.status?.currentMetrics?.[0] as { resource?: { current?: { averageUtilization?: number } } }
      )?.resource?.current?.averageUtilization;
      return target
        ? `${target.name}: ${cur === undefined ? "<unknown>" : `${cur}%`}/${target.target.averageUtilization ?? 0}%`
        : "<none>";
    }),
    col<HorizontalPodAutoscaler>("MinPods", 0, (h) => h.spec.minReplicas ?? 1, "integer"),
    col<HorizontalPodAutoscaler>("MaxPods", 0, (h) => h.spec.maxReplicas, "integer"),
    col<HorizontalPodAutoscaler>("Replicas", 0, (h) => h.status?.currentReplicas ?? 0, "integer"),
    age,
  ],
  Ingress: [
    name,
    col<KubeObject>("Class", 0, (i) =>
      String((i.spec as { ingressClassName?: string })?.ingressClassName ?? "<none>"),
    ),
    col<KubeObject>("Hosts", 0, (i) => {
      const rules = (i.spec as { rules?: { host?: string }[] })?.rules ?? [];
      return rules.map((r) => r.host ?? "*").join(",") || "*";
    }),
    col<KubeObject>("Address", 0, (i) =>
      (
        (i.status as { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } } | undefined)
          ?.loadBalancer?.ingress ?? []
      )
        .map((x) => x.ip ?? x.hostname ?? "")
        .join(","),
    ),
    col<KubeObject>("Ports", 0, () => "80"),
    age,
  ],
  PodDisruptionBudget: [
    name,
    col<PodDisruptionBudget>("Min Available", 0, (p) => intOrPct(p.spec.minAvailable)),
    col<PodDisruptionBudget>("Max Unavailable", 0, (p) => intOrPct(p.spec.maxUnavailable)),
    col<PodDisruptionBudget>("Allowed Disruptions", 0, (p) => p.status?.disruptionsAllowed ?? 0, "integer"),
    age,
  ],
  Job: [
    name,
    col<Job>("Status", 0, jobStatus),
    col<Job>("Completions", 0, (j) => `${j.status?.succeeded ?? 0}/${j.spec.completions ?? 1}`),
    col<Job>("Duration", 0, (j, now) => {
      const start = j.status?.startTime;
      if (!start) return "";
      const end = j.status?.completionTime ? Date.parse(j.status.completionTime) : now;
      return humanDuration(end - Date.parse(start));
    }),
    age,
    col<Job>("Containers", 1, (j) => images(j.spec.template).names),
    col<Job>("Images", 1, (j) => images(j.spec.template).images),
    col<Job>("Selector", 1, (j) => (j.spec.selector ? selectorString(j.spec.selector) : "<none>")),
  ],
  CronJob: [
    name,
    col<CronJob>("Schedule", 0, (c) => c.spec.schedule),
    col<CronJob>("Timezone", 0, (c) => c.spec.timeZone ?? "<none>"),
    col<CronJob>("Suspend", 0, (c) => (c.spec.suspend ? "True" : "False")),
    col<CronJob>("Active", 0, (c) => c.status?.active?.length ?? 0, "integer"),
    col<CronJob>("Last Schedule", 0, (c, now) =>
      c.status?.lastScheduleTime ? since(c.status.lastScheduleTime, now) : "<none>",
    ),
    age,
    col<CronJob>("Containers", 1, (c) => images(c.spec.jobTemplate.spec.template).names),
    col<CronJob>("Images", 1, (c) => images(c.spec.jobTemplate.spec.template).images),
    col<CronJob>("Selector", 1, () => "<none>"),
  ],
  StatefulSet: [
    name,
    col<StatefulSet>("Ready", 0, (d) => `${Number(d.status?.readyReplicas ?? 0)}/${d.spec.replicas ?? 1}`),
    age,
    col<StatefulSet>("Containers", 1, (d) => images(d.spec.template).names),
    col<StatefulSet>("Images", 1, (d) => images(d.spec.template).images),
  ],
  ControllerRevision: [
    name,
    col<KubeObject>("Controller", 0, (r) => {
      const o = r.metadata.ownerReferences?.find((x) => x.controller);
      return o ? `${o.kind.toLowerCase()}.${o.apiVersion.split("/")[0]}/${o.name}` : "<none>";
    }),
    col<KubeObject>("Revision", 0, (r) => Number(r.revision ?? 0), "integer"),
    age,
  ],
  PersistentVolumeClaim: [
    name,
    col<PersistentVolumeClaim>("Status", 0, (c) => c.status?.phase ?? "Pending"),
    col<PersistentVolumeClaim>("Volume", 0, (c) => c.spec.volumeName ?? ""),
    col<PersistentVolumeClaim>("Capacity", 0, (c) => c.status?.capacity?.storage ?? ""),
    col<PersistentVolumeClaim>("Access Modes", 0, (c) =>
      c.status?.phase === "Bound" ? accessModes(c.status.accessModes) : "",
    ),
    col<PersistentVolumeClaim>("StorageClass", 0, (c) => c.spec.storageClassName ?? "<unset>"),
    col<PersistentVolumeClaim>("VolumeAttributesClass", 0, () => "<unset>"),
    age,
    col<PersistentVolumeClaim>("VolumeMode", 1, (c) => c.spec.volumeMode ?? "Filesystem"),
  ],
  PersistentVolume: [
    name,
    col<KubeObject>("Capacity", 0, (v) => String(pvSpec(v).capacity?.storage ?? "")),
    col<KubeObject>("Access Modes", 0, (v) => accessModes(pvSpec(v).accessModes)),
    col<KubeObject>("Reclaim Policy", 0, (v) => pvSpec(v).persistentVolumeReclaimPolicy ?? "Retain"),
    col<KubeObject>("Status", 0, (v) => String((v.status as { phase?: string })?.phase ?? "Available")),
    col<KubeObject>("Claim", 0, (v) => {
      const c = pvSpec(v).claimRef;
      return c ? `${c.namespace}/${c.name}` : "";
    }),
    col<KubeObject>("StorageClass", 0, (v) => pvSpec(v).storageClassName ?? ""),
    col<KubeObject>("VolumeAttributesClass", 0, () => "<unset>"),
    col<KubeObject>("Reason", 0, () => ""),
    age,
    col<KubeObject>("VolumeMode", 1, (v) => pvSpec(v).volumeMode ?? "Filesystem"),
  ],
  StorageClass: [
    col<StorageClass>("Name", 0, (c) =>
      c.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true"
        ? `${c.metadata.name} (default)`
        : c.metadata.name,
    ),
    col<StorageClass>("Provisioner", 0, (c) => c.provisioner),
    col<StorageClass>("ReclaimPolicy", 0, (c) => c.reclaimPolicy ?? "Delete"),
    col<StorageClass>("VolumeBindingMode", 0, (c) => c.volumeBindingMode ?? "Immediate"),
    col<StorageClass>("AllowVolumeExpansion", 0, (c) => String(c.allowVolumeExpansion ?? false)),
    age,
  ],
  IngressClass: [
    name,
    col<KubeObject>("Controller", 0, (c) => String((c.spec as { controller?: string })?.controller ?? "")),
    col<KubeObject>("Parameters", 0, () => "<none>"),
    age,
  ],
  PriorityClass: [
    name,
    col<PriorityClass>("Value", 0, (c) => c.value, "integer"),
    col<PriorityClass>("Global-Default", 0, (c) => String(c.globalDefault ?? false)),
    age,
    col<PriorityClass>("PreemptionPolicy", 0, (c) => c.preemptionPolicy ?? "PreemptLowerPriority"),
  ],
  Lease: [
    name,
    col<KubeObject>("Holder", 0, (l) =>
      String((l.spec as { holderIdentity?: string })?.holderIdentity ?? ""),
    ),
    age,
  ],
};

/** A meta.k8s.io/v1 Table of `objects`, with the columns the real API server prints for `kind`. */
export function toTable(kind: string, objects: KubeObject[], resourceVersion: string, now: number): unknown {
  const cols = TABLES[kind] ?? [name, age];
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion },
    columnDefinitions: cols.map((c) => ({
      name: c.name === "Name" ? "Name" : c.name,
      type: c.type,
      format: c.name === "Name" ? "name" : "",
      description: c.name,
      priority: c.priority,
    })),
    rows: objects.map((o) => ({
      cells: cols.map((c) => (c.cell as (x: KubeObject, n: number) => string | number)(o, now)),
      object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata },
    })),
  };
}
