import type { Container, Pod } from "./types.ts";

/** What a revision does when it runs: crash at start, fail a share of requests, leak memory. */
export interface RevisionBehaviour {
  /** The container exits with this code after starting, printing these lines. */
  crash?: { exitCode: number; logs: string[] };
  /** Share of requests answered with 500. */
  errorRatio?: number;
  /** Memory growth of each container instance, in MiB per minute. */
  leakMiBPerMin?: number;
  /** An in-memory cache each container instance fills once after it starts, then holds: a plateau, not a leak. */
  cache?: { mib: number; warmMs: number };
}

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
  state: "waiting" | "running";
  startedAt: number;
  nextStartAt: number;
  backoffMs: number;
  restartCount: number;
  memBytes: number;
  started: boolean;
  lastTerminated?: { exitCode: number; reason: string; startedAt: number; finishedAt: number };
  waitingReason: string;
  waitingMessage?: string;
  cpuSeconds: number;
}

export interface PodRuntime {
  scheduledAt: number;
  ip: string;
  containers: Map<string, ContainerRuntime>;
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
  readonly runtimes = new Map<string, PodRuntime>();
  /**
   * Pods (by uid) whose process hangs in uninterruptible sleep: it stops answering, ignores SIGTERM and SIGKILL,
   * so a graceful delete leaves the pod Terminating until someone force-deletes it (grace period 0).
   */
  readonly hung = new Map<string, { since: number; lastProbeAt: number }>();
  /** HPA controller memory per HPA uid: last sync and the recommendations of the stabilization window. */
  readonly hpa = new Map<string, { lastSync: number; recommendations: { at: number; n: number }[] }>();
  /** Deployments whose world annotations were read (by uid). */
  readonly configured = new Set<string>();
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

  /** Adds `v` to a counter series. */
  count(series: string, v: number): void {
    this.counters.set(series, (this.counters.get(series) ?? 0) + v);
  }

  /** What a container of this pod does when run, from the revision rules. */
  behaviourOf(container: Container): RevisionBehaviour {
    const out: RevisionBehaviour = {};
    for (const r of this.revisions) {
      const imageHit = r.image !== undefined && container.image === r.image;
      const envHit =
        r.env !== undefined &&
        (container.env ?? []).some((e) => e.name === r.env!.name && e.value === r.env!.value);
      if (imageHit || envHit) Object.assign(out, r.behaviour);
    }
    return out;
  }

  /** Baseline working set of a container, before any leak. */
  static baseMemory(): number {
    return 96 * MiB;
  }
}

/** Parses a Kubernetes quantity of bytes ("256Mi", "1G", "512000"). */
export function parseBytes(q: string | undefined): number | undefined {
  if (!q) return undefined;
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
export function parseCpu(q: string | undefined): number | undefined {
  if (!q) return undefined;
  return q.endsWith("m") ? Number(q.slice(0, -1)) / 1000 : Number(q);
}

/** The pod's app label or, failing that, its name: what the logs call the service. */
export function appOf(p: Pod): string {
  return p.metadata.labels?.app ?? p.metadata.labels?.["app.kubernetes.io/name"] ?? p.metadata.name;
}
