import type { ProbeState } from "./controllers/probes.ts";
import type { PodEffect } from "./podEffects.ts";
import { withEffects } from "./podEffects.ts";
import type { PullResult, RevisionBehaviour } from "./registry.ts";
import { ImageRegistry } from "./registry.ts";
import type { Container, Pod } from "./types.ts";

export type { RevisionBehaviour } from "./registry.ts";

/** Matches a revision by container image or by an environment variable of its template. */
export interface RevisionRule {
  image?: string;
  env?: { name: string; value: string };
  behaviour: RevisionBehaviour;
}

/** A node's hidden state: the causes behind what its status shows. */
export interface NodeState {
  kubeletDown: boolean;
  downSince?: number;
  /** Disk filling from the node's own pods (logs, emptyDirs); reclaimed once no workload pods are left on it. */
  diskFilling: boolean;
  /** CPU steal from a noisy neighbour: pods on this node answer slowly. */
  noisy: boolean;
  /** Packet loss on the node's NIC (0..1) for traffic to its pods. */
  packetLoss: number;
  /** Root filesystem used outside the pods' containers (images, system logs), GiB; default 45 % of capacity. */
  outsideDiskGiB?: number;
  /** When the kubelet last saw its filesystem below the eviction threshold (DiskPressure holds 5 min after). */
  diskLowAt?: number;
  /** Memory used outside the pods (system daemons, a runaway host process), MiB. */
  outsideMemoryMiB?: number;
  /** Processes outside the pods; PIDPressure past 90 % of `pidMax` (default 32768, the kernel's pid_max). */
  outsidePids?: number;
  pidMax?: number;
  /** The CNI plugin is not ready: NetworkUnavailable, Ready=False, no pod networking on the node. */
  networkUnavailable?: boolean;
  /** The kubelet alternates between stopped and running every `flapPeriodMs` (from `flapSince`). */
  flapPeriodMs?: number;
  flapSince?: number;
  /** The kubelet stopped by a fault (the flapping one overrides it while flapping). */
  kubeletStopped?: boolean;
}

/** A simulated service: a Deployment that serves traffic. */
export interface ServiceModel {
  namespace: string;
  deployment: string;
  baseRps: number;
  trafficFactor: number;
  capacityRpsPerPod: number;
  /** Outbound calls per request to an upstream API with a quota. */
  upstream?: { name: string; callsPerRequest: number };
  database?: string;
  /** Services this one calls (packet loss is seen on these paths). */
  calls: string[];
}

/** A database with a primary and a secondary; a Service's `role` selector picks which one clients use. */
export interface DatabaseModel {
  namespace: string;
  name: string;
  slowRole?: "primary" | "secondary";
  slowMs: number;
}

export interface KafkaGroupModel {
  namespace: string;
  group: string;
  topic: string;
  partitions: number;
  /** Messages per second produced to the topic (over all partitions). */
  produceRate: number;
  /** Messages per second one consumer pod handles. */
  perConsumerRate: number;
  consumerDeployment: string;
  lag: number[];
  /** A hot partition: this share of all messages lands on one partition (a skewed key). */
  hot?: { partition: number; share: number };
  /** The database the consumers write each message to (its slowness slows them). */
  database?: string;
}

export interface QueueModel {
  namespace: string;
  name: string;
  workerDeployment: string;
  arrivalRate: number;
  perWorkerRate: number;
  depth: number;
}

export interface UpstreamModel {
  namespace: string;
  name: string;
  quotaRps: number;
}

/** Per-container runtime state kept by the simulated kubelet. */
export interface ContainerRuntime {
  /** `terminated`: an init container that completed (it is not restarted). */
  state: "waiting" | "running" | "terminated";
  /** The image was pulled for this container (pulls are retried with back-off until they succeed). */
  pulled?: boolean;
  /** The image the runtime pulled and runs (a pod's image changed in place restarts the container). */
  image?: string | undefined;
  /** How the running process will exit (from its image, command and config), if it does. */
  exitPlan?: { code: number; afterMs: number; logs: string[]; listens?: boolean };
  /** The prober's memory per probe kind. */
  probes?: Partial<Record<"Readiness" | "Liveness" | "Startup", ProbeState>>;
  /** CFS accounting (cAdvisor's container_cpu_cfs_*): periods, throttled periods, throttled seconds. */
  cfs?: { periods: number; throttled: number; throttledSeconds: number };
  startedAt: number;
  nextStartAt: number;
  backoffMs: number;
  restartCount: number;
  memBytes: number;
  /** Bytes written to the container's writable layer and logs since it started (ephemeral storage). */
  diskBytes?: number;
  started: boolean;
  lastTerminated?: {
    exitCode: number;
    reason: string;
    startedAt: number;
    finishedAt: number;
    message?: string;
  };
  /** The last image pull error (ErrImagePull / ImagePullBackOff). */
  pullError?: string | undefined;
  waitingReason: string;
  waitingMessage?: string;
  cpuSeconds: number;
}

export interface PodRuntime {
  scheduledAt: number;
  ip: string;
  containers: Map<string, ContainerRuntime>;
  /** Init containers, run in order before `containers`. */
  inits?: Map<string, ContainerRuntime>;
  /** When the kubelet last reported a FailedMount (it retries with back-off). */
  lastMountEventAt?: number;
  lastLogAt: number;
}

const MiB = 1024 * 1024;

/** The simulated world behind the cluster: services, load, databases, Kafka, queues, upstreams and runtimes. */
export class World {
  readonly nodes = new Map<string, NodeState>();
  readonly services = new Map<string, ServiceModel>();
  readonly databases = new Map<string, DatabaseModel>();
  readonly kafka = new Map<string, KafkaGroupModel>();
  readonly queues = new Map<string, QueueModel>();
  readonly upstreams = new Map<string, UpstreamModel>();
  readonly revisions: RevisionRule[] = [];
  /** The image registry: which images exist and how their processes behave. */
  readonly registry = new ImageRegistry();
  readonly runtimes = new Map<string, PodRuntime>();
  /**
   * Pods (by uid) whose process hangs in uninterruptible sleep: it stops answering, ignores SIGTERM and SIGKILL,
   * so a graceful delete leaves the pod Terminating until someone force-deletes it (grace period 0).
   */
  readonly hung = new Map<string, { since: number; lastProbeAt: number }>();
  /**
   * Pods (by uid) whose process degraded while its siblings are fine: the JVM thrashing in GC, or a connection
   * pool whose connections leaked (every request waits for one). The state dies with the process.
   */
  readonly degraded = new Map<string, { mode: "gc_thrash" | "stuck_pool"; since: number }>();
  /** HPA controller memory per HPA uid: last sync and the recommendations of the stabilization window. */
  readonly hpa = new Map<string, { lastSync: number; recommendations: { at: number; n: number }[] }>();
  /** Deployments whose world annotations were read (by uid). */
  readonly configured = new Set<string>();
  /** When a controller last reported a recurring failure, per key (it retries with back-off, not every pass). */
  readonly reported = new Map<string, number>();
  /** The node's journal (kubelet and systemd lines, `journalctl -u kubelet` format), per node. */
  readonly journals = new Map<string, string[]>();
  /**
   * What acts on each pod (by uid) from outside its image, per producer (`chaos`, `flags`): each producer
   * replaces its own entries on every pass, so an effect lasts exactly as long as its cause.
   */
  readonly effects = new Map<string, Map<string, PodEffect[]>>();
  /** Monotonic counters (Prometheus counters), keyed by rendered series. */
  readonly counters = new Map<string, number>();
  private ipSeq = 10;

  node(name: string): NodeState {
    let n = this.nodes.get(name);
    if (!n) {
      n = { kubeletDown: false, diskFilling: false, noisy: false, packetLoss: 0 };
      this.nodes.set(name, n);
    }
    return n;
  }

  /** The service model of a Deployment, created with defaults on first use. */
  service(namespace: string, deployment: string): ServiceModel {
    const key = `${namespace}/${deployment}`;
    let s = this.services.get(key);
    if (!s) {
      s = { namespace, deployment, baseRps: 20, trafficFactor: 1, capacityRpsPerPod: 50, calls: [] };
      this.services.set(key, s);
    }
    return s;
  }

  nextPodIP(nodeIndex: number): string {
    this.ipSeq += 1;
    return `10.244.${nodeIndex}.${(this.ipSeq % 250) + 2}`;
  }

  /** Appends lines to a node's journal (the newest 2000 are kept). */
  journal(node: string, ...lines: string[]): void {
    const j = this.journals.get(node) ?? [];
    j.push(...lines);
    if (j.length > 2000) j.splice(0, j.length - 2000);
    this.journals.set(node, j);
  }

  /** Adds `v` to a counter series. */
  count(series: string, v: number): void {
    this.counters.set(series, (this.counters.get(series) ?? 0) + v);
  }

  /** Pulls an image: the registry's answer, where images a fault rolled out always exist. */
  pull(image: string): PullResult {
    const r = this.registry.pull(image);
    if (r.ok || !this.revisions.some((x) => x.image === image)) return r;
    return { ok: true, behaviour: {} };
  }

  /** Replaces one producer's effects on every pod (`byPod`: pod uid → its effects). */
  setEffects(producer: string, byPod: Map<string, PodEffect[]>): void {
    for (const [uid, m] of this.effects) {
      m.delete(producer);
      if (!m.size) this.effects.delete(uid);
    }
    for (const [uid, list] of byPod) {
      if (!list.length) continue;
      const m = this.effects.get(uid) ?? new Map<string, PodEffect[]>();
      m.set(producer, list);
      this.effects.set(uid, m);
    }
  }

  /** Every effect acting on a pod now. */
  effectsOn(pod: Pod | undefined): PodEffect[] {
    const m = pod?.metadata.uid ? this.effects.get(pod.metadata.uid) : undefined;
    return m ? [...m.values()].flat() : [];
  }

  /**
   * What a container of this pod does when run: its image's behaviour, then the revision rules, then (given
   * the pod) what acts on the pod from outside (chaos experiments, feature flags).
   */
  behaviourOf(container: Container, pod?: Pod): RevisionBehaviour {
    const own = this.imageBehaviourOf(container);
    const fx = this.effectsOn(pod);
    return fx.length ? withEffects(own, container.name, fx) : own;
  }

  private imageBehaviourOf(container: Container): RevisionBehaviour {
    const pulled = container.image ? this.registry.pull(container.image) : undefined;
    const out: RevisionBehaviour = pulled?.ok ? { ...pulled.behaviour } : {};
    const exe = container.command?.[0]?.split("/").pop();
    const byCommand = exe !== undefined ? out.commands?.[exe] : undefined;
    if (byCommand) Object.assign(out, byCommand);
    for (const r of this.revisions) {
      const imageHit = r.image !== undefined && container.image === r.image;
      const envHit =
        r.env !== undefined &&
        (container.env ?? []).some((e) => e.name === r.env!.name && e.value === r.env!.value);
      if (imageHit || envHit) Object.assign(out, r.behaviour);
    }
    return out;
  }

  /** Baseline working set of a container, before any leak (the image's own, else 96 MiB). */
  static baseMemory(b: RevisionBehaviour = {}): number {
    return (b.memoryMiB ?? 96) * MiB;
  }
}

/** Parses a Kubernetes quantity of bytes ("256Mi", "1G", "512000"). */
export function parseBytes(raw: string | number | undefined): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const q = String(raw);
  const m = /^([0-9.]+)([KMGT]i?)?$/.exec(q);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? "";
  const pow: Record<string, number> = {
    "": 1,
    K: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 1024,
    Mi: MiB,
    Gi: 1024 * MiB,
    Ti: 1024 * 1024 * MiB,
  };
  return n * (pow[unit] ?? 1);
}

/** Parses a CPU quantity ("250m", "1") into cores. */
export function parseCpu(raw: string | number | undefined): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  // Manifests may give a quantity as a YAML number (`cpu: 3`); the API server keeps it as a string.
  const q = String(raw);
  return q.endsWith("m") ? Number(q.slice(0, -1)) / 1000 : Number(q);
}

/** The pod's app label or, failing that, its name: what the logs call the service. */
export function appOf(p: Pod): string {
  return p.metadata.labels?.app ?? p.metadata.labels?.["app.kubernetes.io/name"] ?? p.metadata.name;
}
