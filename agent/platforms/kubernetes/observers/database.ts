import type { ObserverDeps } from "./deps.ts";
import { describeError } from "../../../../core/errors.ts";
import type { PodSnapshot } from "../../../../tools/kubernetes/listPods.ts";
import { databaseSignals } from "../signals.ts";
import type { ServiceSettings, Workload } from "../actions/action.ts";

/** Client pods whose logs are read to judge a database: enough to see a pattern, bounded in cost. */
const CLIENT_PODS = 8;

/**
 * A database is judged by its clients: recent log lines of Ready pods in its namespace (not its own pods)
 * that report slow queries on it, and which instance the Service selects now.
 */
export async function observeDatabase(
  deps: ObserverDeps,

  t: Workload,
  db: NonNullable<ServiceSettings["database"]>,
  own: PodSnapshot[],
  errors: string[],
) {
  const { kube, tools } = deps;
  const namespace = db.namespace ?? t.namespace;
  try {
    const svc = await kube.core.readNamespacedService({ name: db.service, namespace });
    const ownNames = new Set(own.map((p) => p.name));
    const { pods } = await tools.pods.execute({ namespace });
    const clients = pods.filter((p) => p.ready && !ownNames.has(p.name)).slice(0, CLIENT_PODS);
    const clientLogs: Record<string, string[]> = {};
    for (const p of clients) {
      clientLogs[p.name] = (await tools.logs.execute({ namespace, pod: p.name, tailLines: 50 })).lines;
    }
    return databaseSignals({
      service: db.service,
      selected: svc.spec?.selector?.[db.selectorKey],
      secondary: db.secondary,
      clientLogs,
    });
  } catch (err) {
    errors.push(`database ${db.service}: ${describeError(err)}`);
    return [];
  }
}
