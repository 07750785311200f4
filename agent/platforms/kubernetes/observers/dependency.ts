import type { Evidence, Signal } from "../../../../core/types.ts";
import { describeError } from "../../../../core/errors.ts";
import type { Workload } from "../actions/action.ts";
import { workloadSignals, type WorkloadObservations } from "../signals.ts";
import type { ObserverDeps } from "./deps.ts";
import { observeLatency, type LatencyQuery } from "./latency.ts";
import { deploymentBehind, serviceRef } from "./serviceBehind.ts";

/** The caller-side signals that name the service a symptom comes from. */
const NAMING = ["callee_errors", "dependency_slow"] as const;

/**
 * The dependency a workload's symptom comes from, observed as if it were the incident's own target: its pods,
 * revisions, events and logs (and, for a latency symptom, its latency history), read into the same signals. Only for
 * a dependency a Deployment runs, in the victim's namespace or the one its name gives (`name.namespace`, a cluster
 * DNS name) (a managed database or an outside API has no evidence here); undefined otherwise, with the reason
 * in `errors` when a read failed.
 */
export async function observeDependency(
  deps: ObserverDeps,
  t: Workload,
  signals: readonly Signal[],
  observe: (w: Workload) => Promise<{ obs: WorkloadObservations; errors: string[] }>,
  errors: string[],
  latency?: { query: LatencyQuery; since?: number | undefined },
): Promise<Evidence["dependency"]> {
  const naming = signals.find(
    (s): s is Signal & { value: string } =>
      (NAMING as readonly string[]).includes(s.name) && typeof s.value === "string",
  );
  if (!naming) return undefined;
  try {
    const ref = serviceRef(naming.value, t.namespace);
    const name = await deploymentBehind(deps, ref.namespace, ref.name);
    if (!name || (name === t.name && ref.namespace === t.namespace)) return undefined;
    const c = t.cluster;
    const target: Workload = {
      kind: "k8s_workload",
      key: `k8s:${c ?? ""}:${ref.namespace}/deployment/${name}`,
      namespace: ref.namespace,
      workload: "deployment",
      name,
      ...(c ? { cluster: c } : {}),
    };
    const seen = await observe(target);
    for (const e of seen.errors) errors.push(`dependency ${name}: ${e}`);
    const own = workloadSignals(seen.obs);
    // Its own latency history, when the victim's symptom is latency: did the slowness come with its new revision?
    const slow = latency
      ? (await observeLatency(deps, ref.namespace, seen.obs.rollout, latency.query, errors, latency.since))
          .signals
      : [];
    return {
      target,
      via: naming.name,
      signals: slow.length > 0 ? [...own.filter((s) => s.name !== "healthy"), ...slow] : own,
    };
  } catch (err) {
    errors.push(`dependency ${naming.value}: ${describeError(err)}`);
    return undefined;
  }
}
