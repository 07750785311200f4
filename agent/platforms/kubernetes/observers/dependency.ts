import type { Evidence, Signal } from "../../../../core/types.ts";
import { describeError } from "../../../../core/errors.ts";
import type { Workload } from "../actions/action.ts";
import { workloadSignals, type WorkloadObservations } from "../signals.ts";
import type { ObserverDeps } from "./deps.ts";
import { observeLatency, type LatencyQuery } from "./latency.ts";
import { deploymentBehind, serviceRef } from "./serviceBehind.ts";

/** The caller-side signals that name the service a symptom comes from. */
const NAMING = ["callee_errors", "dependency_slow", "dependency_down"] as const;

/** What a dependency is read with beside its pods: its latency history, and the observers its policy entry adds. */
export interface DependencyReads {
  observe: (w: Workload) => Promise<{ obs: WorkloadObservations; errors: string[] }>;
  /** For a latency symptom: the histogram and quantile to read, and since when. */
  latency?: { query: LatencyQuery; since?: number | undefined } | undefined;
  /** Signals of the observers the policy maps for that workload (e.g. its database). */
  more?: (
    w: Workload,
    obs: WorkloadObservations,
    errors: string[],
    service: { name: string; namespace: string },
  ) => Promise<Signal[]>;
}

/** Signals that are context, not a failure of the dependency's own (they do not stop following a chain). */
const CONTEXT = new Set(["healthy", "recent_rollout"]);

/**
 * The dependency a workload's symptom comes from, observed as if it were the incident's own target: its pods,
 * revisions, events and logs (and, for a latency symptom, its latency history; and what the policy maps for it,
 * e.g. its database), read into the same signals. Only for a dependency a Deployment runs, in the victim's
 * namespace or the one its name gives (`name.namespace`, a cluster DNS name) (a managed database or an outside API
 * has no evidence here); undefined otherwise, with the reason in `errors` when a read failed.
 *
 * A chain is followed one more hop: when the dependency's only failure is that it names a dependency of its own (a
 * slow callee waiting on its slow database), that one is observed the same way and returned instead, the path
 * added to the victim's naming signal. The dependency with any failure of its own is where the chain stops.
 */
export async function observeDependency(
  deps: ObserverDeps,
  t: Workload,
  signals: readonly Signal[],
  reads: DependencyReads,
  errors: string[],
): Promise<Evidence["dependency"]> {
  const naming = namingSignal(signals);
  if (!naming) return undefined;
  const first = await observeOne(deps, t, naming.value, reads, errors);
  if (!first) return undefined;
  const onward = namingSignal(first.signals);
  const ownFailure = first.signals.some(
    (s) => !CONTEXT.has(s.name) && !(NAMING as readonly string[]).includes(s.name) && s.value !== false,
  );
  if (onward && !ownFailure) {
    const second = await observeOne(deps, first.target, onward.value, reads, errors);
    if (second && second.target.key !== t.key) {
      naming.detail += `; ${first.target.name}'s own evidence points on to ${second.target.name}: ${onward.detail}`;
      return { ...second, via: naming.name };
    }
  }
  return { ...first, via: naming.name };
}

function namingSignal(signals: readonly Signal[]) {
  return signals.find(
    (s): s is Signal & { value: string } =>
      (NAMING as readonly string[]).includes(s.name) && typeof s.value === "string",
  );
}

/** One service named by `from`'s evidence, observed as a target of its own; undefined when not a Deployment here. */
async function observeOne(
  deps: ObserverDeps,
  from: Workload,
  service: string,
  reads: DependencyReads,
  errors: string[],
): Promise<{ target: Workload; signals: Signal[] } | undefined> {
  try {
    const ref = serviceRef(service, from.namespace);
    const name = await deploymentBehind(deps, ref.namespace, ref.name);
    if (!name || (name === from.name && ref.namespace === from.namespace)) return undefined;
    const c = from.cluster;
    const target: Workload = {
      kind: "k8s_workload",
      key: `k8s:${c ?? ""}:${ref.namespace}/deployment/${name}`,
      namespace: ref.namespace,
      workload: "deployment",
      name,
      ...(c ? { cluster: c } : {}),
    };
    const seen = await reads.observe(target);
    for (const e of seen.errors) errors.push(`dependency ${name}: ${e}`);
    const own = workloadSignals(seen.obs);
    // Its own latency history, when the victim's symptom is latency: did the slowness come with its new revision?
    const { latency } = reads;
    const slow = latency
      ? (
          await observeLatency(deps, ref.namespace, seen.obs.rollout, latency.query, errors, latency.since)
        ).signals.filter((s) => s.name === "latency_began_with_revision")
      : [];
    const more = (await reads.more?.(target, seen.obs, errors, ref)) ?? [];
    const extra = [...slow, ...more];
    return {
      target,
      signals: extra.length > 0 ? [...own.filter((s) => s.name !== "healthy"), ...extra] : own,
    };
  } catch (err) {
    errors.push(`dependency ${service}: ${describeError(err)}`);
    return undefined;
  }
}
