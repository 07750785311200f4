import type { ObserverDeps } from "./deps.ts";
import { describeError } from "../../../../core/errors.ts";
import type { Signal } from "../../../../core/types.ts";
import { signal } from "../../../signals.ts";
import type { Workload } from "../actions/action.ts";

/**
 * Causes that live in the pod template (or in what it references), so every pod the controller makes from it
 * meets them: a memory limit below the process's need, a configuration the process rejects at start.
 */
const TEMPLATE_CAUSES = new Set<string>(["oom_limit_too_low", "config_error"]);

/** A pod's controller as `kind/name` (lower-case kind): a ReplicaSet stands for its Deployment when it has one. */
export interface PodOwner {
  kind: string;
  name: string;
}

/**
 * When the signals of a pod target name a template-level cause, the cause is its controller's template, not
 * the pod: a signal naming the controller (the root cause a person fixes). Pure.
 */
export function templateOwnerSignals(
  pod: string,
  owner: PodOwner | null,
  signals: readonly Signal[],
): Signal[] {
  const cause = signals.find((s) => TEMPLATE_CAUSES.has(s.name));
  if (!owner || !cause) return [];
  const ref = `${owner.kind.toLowerCase()}/${owner.name}`;
  return [
    signal(
      "cause_in_template",
      ref,
      `pod ${pod} fails on ${cause.name.replace(/_/g, " ")}, which comes from the pod template of ${ref}: every pod it makes meets it, so the ${owner.kind} is the root cause`,
    ),
  ];
}

/** Reads a pod target's controller (ReplicaSet → its Deployment) when its signals name a template-level cause. */
export async function observeTemplateOwner(
  deps: ObserverDeps,
  t: Workload,
  signals: readonly Signal[],
  errors: string[],
): Promise<Signal[]> {
  if (t.workload !== "pod" || !signals.some((s) => TEMPLATE_CAUSES.has(s.name))) return [];
  try {
    const pod = await deps.kube.core.readNamespacedPod({ name: t.name, namespace: t.namespace });
    const ref =
      pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
    let owner: PodOwner | null = ref ? { kind: ref.kind, name: ref.name } : null;
    if (ref?.kind === "ReplicaSet") {
      const rs = await deps.kube.apps.readNamespacedReplicaSet({ name: ref.name, namespace: t.namespace });
      const d = rs.metadata?.ownerReferences?.find((o) => o.kind === "Deployment");
      if (d) owner = { kind: "Deployment", name: d.name };
    }
    return templateOwnerSignals(t.name, owner, signals);
  } catch (err) {
    errors.push(`pod owner: ${describeError(err)}`);
    return [];
  }
}
