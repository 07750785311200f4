import type { KubeObject, Pod } from "../types.ts";
import type { SimContext } from "./context.ts";
import { R } from "./context.ts";

export interface PriorityClass extends KubeObject {
  value: number;
  globalDefault?: boolean;
  description?: string;
  preemptionPolicy?: string;
}

const system = (name: string, value: number, description: string): PriorityClass => ({
  apiVersion: "scheduling.k8s.io/v1",
  kind: "PriorityClass",
  metadata: { name },
  value,
  globalDefault: false,
  description,
  preemptionPolicy: "PreemptLowerPriority",
});

/** The two classes every API server creates at start. */
export const SYSTEM_PRIORITY_CLASSES: readonly PriorityClass[] = [
  system(
    "system-cluster-critical",
    2000000000,
    "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
  ),
  system(
    "system-node-critical",
    2000001000,
    "Used for system critical pods that must not be moved from their current node.",
  ),
];

function classNamed(ctx: SimContext, name: string): PriorityClass | undefined {
  return ctx.store.peek(R.priorityclasses, undefined, name) as PriorityClass | undefined;
}

function globalDefault(ctx: SimContext): PriorityClass | undefined {
  return (ctx.store.view(R.priorityclasses) as readonly PriorityClass[]).find((c) => c.globalDefault);
}

/**
 * The Priority admission plugin on a pod the controllers create: resolves `priorityClassName` (or the
 * global default class) into `spec.priority` and `spec.preemptionPolicy`, or refuses the pod with the API
 * server's 403 message when the named class does not exist. Returns the refusal, or undefined.
 */
export function admitPriority(ctx: SimContext, pod: Pod): string | undefined {
  const name = pod.spec.priorityClassName as string | undefined;
  const cls = name ? classNamed(ctx, name) : globalDefault(ctx);
  if (name && !cls)
    return `pods "${pod.metadata.name}" is forbidden: no PriorityClass with name ${name} was found`;
  if (cls) {
    pod.spec.priorityClassName = cls.metadata.name;
    pod.spec.priority = cls.value;
    pod.spec.preemptionPolicy = cls.preemptionPolicy ?? "PreemptLowerPriority";
  } else {
    pod.spec.priority = 0;
    pod.spec.preemptionPolicy = "PreemptLowerPriority";
  }
  return undefined;
}

/** A pod's priority: `spec.priority` as admission set it, else resolved from its class now (bare pods). */
export function podPriority(ctx: SimContext, pod: Pod): number {
  if (typeof pod.spec.priority === "number") return pod.spec.priority;
  const name = pod.spec.priorityClassName as string | undefined;
  return (name ? classNamed(ctx, name) : globalDefault(ctx))?.value ?? 0;
}

/** Whether the pod may preempt others (`preemptionPolicy: Never` may not). */
export function mayPreempt(ctx: SimContext, pod: Pod): boolean {
  const policy =
    (pod.spec.preemptionPolicy as string | undefined) ??
    (pod.spec.priorityClassName
      ? classNamed(ctx, pod.spec.priorityClassName as string)?.preemptionPolicy
      : undefined);
  return policy !== "Never";
}
