import type { Evidence, Signal } from "../../../../core/types.ts";
import { describeError } from "../../../../core/errors.ts";
import type { Workload } from "../actions/action.ts";
import { workloadSignals, type WorkloadObservations } from "../signals.ts";
import type { ObserverDeps } from "./deps.ts";

/** The caller-side signals that name the service a symptom comes from. */
const NAMING = ["callee_errors", "dependency_slow"] as const;

/**
 * The Deployment behind a service the target's logs name: the one whose pod template the Service of that name
 * selects (exactly one), else a Deployment of that name. Undefined when neither exists or the choice is ambiguous.
 */
async function deploymentBehind(deps: ObserverDeps, namespace: string, service: string) {
  const { kube } = deps;
  const svc = await kube.core.readNamespacedService({ name: service, namespace }).catch(() => null);
  const selector = Object.entries(svc?.spec?.selector ?? {});
  if (selector.length > 0) {
    const list = await kube.apps.listNamespacedDeployment({ namespace });
    const matching = list.items.filter((d) => {
      const labels = d.spec?.template.metadata?.labels ?? {};
      return selector.every(([k, v]) => labels[k] === v);
    });
    if (matching.length === 1) return matching[0]!.metadata?.name;
    if (matching.length > 1) return undefined;
  }
  const d = await kube.apps.readNamespacedDeployment({ name: service, namespace }).catch(() => null);
  return d?.metadata?.name;
}

/**
 * The dependency a workload's symptom comes from, observed as if it were the incident's own target: its pods,
 * revisions, events and logs, read into the same signals. Only for a dependency in the same namespace that a
 * Deployment runs (a managed database or an outside API has no evidence here); undefined otherwise, with the reason
 * in `errors` when a read failed.
 */
export async function observeDependency(
  deps: ObserverDeps,
  t: Workload,
  signals: readonly Signal[],
  observe: (w: Workload) => Promise<{ obs: WorkloadObservations; errors: string[] }>,
  errors: string[],
): Promise<Evidence["dependency"]> {
  const naming = signals.find(
    (s): s is Signal & { value: string } =>
      (NAMING as readonly string[]).includes(s.name) && typeof s.value === "string",
  );
  if (!naming) return undefined;
  try {
    const name = await deploymentBehind(deps, t.namespace, naming.value);
    if (!name || name === t.name) return undefined;
    const c = t.cluster;
    const target: Workload = {
      kind: "k8s_workload",
      key: `k8s:${c ?? ""}:${t.namespace}/deployment/${name}`,
      namespace: t.namespace,
      workload: "deployment",
      name,
      ...(c ? { cluster: c } : {}),
    };
    const seen = await observe(target);
    for (const e of seen.errors) errors.push(`dependency ${name}: ${e}`);
    return { target, via: naming.name, signals: workloadSignals(seen.obs) };
  } catch (err) {
    errors.push(`dependency ${naming.value}: ${describeError(err)}`);
    return undefined;
  }
}
