import type { ActionId } from "../../../../core/catalog.ts";
import type { ActionRecord, Signal, Target } from "../../../../core/types.ts";
import type { KubeClients } from "../../../../tools/kubernetes/client.ts";
import type { PodSnapshot } from "../../../../tools/kubernetes/listPods.ts";
import type { Policy } from "../../../policy/schema.ts";
import type { SignalName } from "../../../signals.ts";
import type { ActionResult } from "../../platform.ts";
import type { createRegionFailover } from "../regions.ts";
import type { WorkloadObservations } from "../signals.ts";
import type { KubeTools } from "../tools.ts";
import type { VersionVerdict } from "../versions.ts";

export type Workload = Extract<Target, { kind: "k8s_workload" }>;
export type ServiceSettings = Policy["services"][string];
export type TrafficSettings = NonNullable<ServiceSettings["traffic"]> & { namespace: string };

/** What an action needs of the platform: its clients and tools, and the lookups the platform shares. */
export interface ActionContext {
  kube: KubeClients;
  tools: KubeTools;
  opts: { secret?: ((name: string) => string | undefined) | undefined };
  workload(t: Target): Workload;
  nodeName(t: Target): string;
  podToRestart(t: Workload, params: Record<string, unknown>): Promise<string>;
  mustDeployment(t: Workload): Promise<string>;
  argocdApplicationOf(t: Workload, deployment: string): Promise<string | null>;
  observe(t: Workload): Promise<{ obs: WorkloadObservations; errors: string[] }>;
  observeCallee(
    t: Workload,
    callee: string,
    errors: string[],
  ): Promise<{ pods: PodSnapshot[]; signals: Signal[] }>;
  /** Targets whose own pod recreate_pod_elsewhere moved for packet loss (not a callee's), for verification. */
  movedOwnPod: Set<string>;
  mustSettings<K extends "kafka" | "database" | "ingress" | "failover">(
    t: Workload,
    key: K,
  ): { name: string; value: NonNullable<ServiceSettings[K]> };
  settingsFor(t: Workload): { name: string; settings: ServiceSettings } | undefined;
  regions: ReturnType<typeof createRegionFailover>;
  trafficOf(t: Workload): Promise<TrafficSettings | undefined>;
  observeVersions(tr: TrafficSettings, tail?: number): Promise<VersionVerdict>;
}

/** What an undo did: whether it changed the cluster back, and what it did or why not, in plain words. */
export interface UndoResult {
  rolledBack: boolean;
  detail: string;
}

/**
 * How an action is undone. `none` says why nothing can be put back (a deleted pod is not undeleted).
 * `revert` puts back what the action changed, from what its own result recorded (previous count, bounds,
 * selector, revision). `automatic` says whether a failed verification runs it unasked: false where putting
 * the old state back would restore the harm (rolling forward onto the release just rolled back, uncordoning
 * the node just taken out), so only a person asks for it.
 */
export type KubeUndo =
  | { kind: "none"; why: string }
  | {
      kind: "revert";
      automatic: boolean;
      run(ctx: ActionContext, record: ActionRecord, target: Target): Promise<UndoResult>;
    };

/**
 * One catalog action on Kubernetes: how it runs, what it checks first, how it is undone, and the log-borne
 * symptom verification must see gone.
 */
export interface KubeAction {
  id: ActionId;
  symptom?: SignalName;
  undo: KubeUndo;
  /**
   * Read just before running: why the action must not run on this object now (nothing to roll back to, already at
   * that count, already cordoned and drained); undefined when it may. A refusal changes nothing and is escalated.
   */
  precheck?(ctx: ActionContext, target: Target, params: Record<string, unknown>): Promise<string | undefined>;
  run(ctx: ActionContext, target: Target, params: Record<string, unknown>): Promise<ActionResult>;
}
