import type { ObserverDeps } from "./deps.ts";
import { describeError } from "../../../../core/errors.ts";
import { readRollout } from "../../../../tools/kubernetes/rolloutHistory.ts";
import { calleeNodeSignals } from "../dependencySignals.ts";
import type { Workload } from "../actions/action.ts";

/** Serving pods whose logs are read: enough to compare nodes, bounded in cost. */
const READ_LOG_PODS = 6;

/**
 * The service a workload calls, named in its logs: the pods behind the Service of that name (else the
 * Deployment), and what their own logs say about their node's network.
 */
export async function observeCallee(deps: ObserverDeps, t: Workload, callee: string, errors: string[]) {
  const { kube, tools } = deps;
  try {
    let selector: string | undefined;
    const svc = await kube.core
      .readNamespacedService({ name: callee, namespace: t.namespace })
      .catch(() => null);
    if (svc?.spec?.selector)
      selector = Object.entries(svc.spec.selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
    else selector = (await readRollout(kube, t.namespace, callee)).selector;
    const { pods } = await tools.pods.execute({ namespace: t.namespace, labelSelector: selector });
    const logs: Record<string, string[]> = {};
    for (const p of pods.filter((x) => x.ready && !x.deleting).slice(0, READ_LOG_PODS)) {
      logs[p.name] = (await tools.logs.execute({ namespace: t.namespace, pod: p.name, tailLines: 30 })).lines;
    }
    return { pods, signals: calleeNodeSignals(callee, pods, logs) };
  } catch (err) {
    errors.push(`callee ${callee}: ${describeError(err)}`);
    return { pods: [], signals: [] };
  }
}
