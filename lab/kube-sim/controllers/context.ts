import type { Clock } from "../clock.ts";
import type { EventRecorder } from "../events.ts";
import type { LogBook } from "../logs.ts";
import { resourceOf } from "../resources.ts";
import type { Store } from "../store.ts";
import type { KubeObject, OwnerReference, Pod } from "../types.ts";
import type { World } from "../world.ts";

/** Timings of the simulated components (milliseconds of simulated time). */
export interface SimTimings {
  /** From scheduling to containers running. */
  podStartMs: number;
  /** How long a crashing container runs before it exits (before its first successful readiness probe). */
  crashAfterMs: number;
  /** How long a container runs before its readiness probe first passes. */
  readyDelayMs: number;
  /** First CrashLoopBackOff delay; doubles per restart up to 5 minutes, as the kubelet does. */
  backoffBaseMs: number;
  /** How long pods stay on a NotReady node before the taint manager evicts them. */
  notReadyEvictionMs: number;
  /** HPA sync period. */
  hpaSyncMs: number;
  /** HPA scale-down stabilization window. */
  hpaDownscaleWindowMs: number;
}

/** Default timings: the real components' where they are short enough to demonstrate. */
export const DEFAULT_TIMINGS: SimTimings = {
  podStartMs: 1000,
  crashAfterMs: 1500,
  readyDelayMs: 2000,
  backoffBaseMs: 10_000,
  notReadyEvictionMs: 300_000,
  hpaSyncMs: 15_000,
  hpaDownscaleWindowMs: 300_000,
};

/** Everything a controller reads and writes. */
export interface SimContext {
  store: Store;
  clock: Clock;
  events: EventRecorder;
  logs: LogBook;
  world: World;
  timings: SimTimings;
}

export const R = {
  pods: resourceOf("Pod"),
  nodes: resourceOf("Node"),
  deployments: resourceOf("Deployment"),
  replicasets: resourceOf("ReplicaSet"),
  daemonsets: resourceOf("DaemonSet"),
  pdbs: resourceOf("PodDisruptionBudget"),
  hpas: resourceOf("HorizontalPodAutoscaler"),
  services: resourceOf("Service"),
  secrets: resourceOf("Secret"),
  configmaps: resourceOf("ConfigMap"),
  quotas: resourceOf("ResourceQuota"),
  endpoints: resourceOf("Endpoints"),
  networkpolicies: resourceOf("NetworkPolicy"),
  ingresses: resourceOf("Ingress"),
  namespaces: resourceOf("Namespace"),
  events: resourceOf("Event"),
  jobs: resourceOf("Job"),
  cronjobs: resourceOf("CronJob"),
  statefulsets: resourceOf("StatefulSet"),
  controllerrevisions: resourceOf("ControllerRevision"),
  pvcs: resourceOf("PersistentVolumeClaim"),
  pvs: resourceOf("PersistentVolume"),
  storageclasses: resourceOf("StorageClass"),
  priorityclasses: resourceOf("PriorityClass"),
  endpointslices: resourceOf("EndpointSlice"),
};

/** The controller owner reference of an object, if any. */
export function controllerOf(o: KubeObject): OwnerReference | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller);
}

/** An owner reference marking `owner` as the controller. */
export function ownerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** True when the pod's Ready condition is True. */
export function isPodReady(p: Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/** True for pods that still count toward their controller (not finished, not failed). */
export function isActive(p: Pod): boolean {
  return p.status?.phase !== "Failed" && p.status?.phase !== "Succeeded" && !p.metadata.deletionTimestamp;
}

/** Writes an object back, ignoring its stale resourceVersion (controllers own the fields they write). */
export function save<T extends KubeObject>(ctx: SimContext, res: ReturnType<typeof resourceOf>, o: T): T {
  return ctx.store.update(res, { ...o, metadata: { ...o.metadata, resourceVersion: undefined } }) as T;
}
