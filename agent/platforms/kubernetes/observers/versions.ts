import type { ObserverDeps } from "./deps.ts";
import type { VersionVerdict } from "../versions.ts";
import { judgeVersions } from "../versions.ts";
import { podSnapshot } from "../../../../tools/kubernetes/listPods.ts";
import { selectorText } from "../../../../tools/kubernetes/serviceSelector.ts";
import type { TrafficSettings } from "../actions/action.ts";

/** Every version's pods behind the Service (its selector without the version label), judged one by one. */
export async function observeVersions(
  deps: ObserverDeps,
  tr: TrafficSettings,
  tail = 50,
): Promise<VersionVerdict> {
  const { kube, tools } = deps;
  const svc = await kube.core.readNamespacedService({ name: tr.service, namespace: tr.namespace });
  const base = Object.fromEntries(
    Object.entries(svc.spec?.selector ?? {}).filter(([k]) => k !== tr.versionLabel),
  );
  const list = await kube.core.listNamespacedPod({
    namespace: tr.namespace,
    labelSelector: selectorText(base),
  });
  const labels = new Map(list.items.map((p) => [p.metadata?.name ?? "", p.metadata?.labels ?? {}]));
  const pods = list.items.map(podSnapshot);
  const logs: Record<string, string[]> = {};
  const perVersion = new Map<string, number>();
  for (const p of pods.filter((x) => !x.deleting)) {
    const v = labels.get(p.name)?.[tr.versionLabel] ?? "";
    if ((perVersion.get(v) ?? 0) >= 3) continue;
    perVersion.set(v, (perVersion.get(v) ?? 0) + 1);
    logs[p.name] = (
      await tools.logs.execute({ namespace: tr.namespace, pod: p.name, tailLines: tail })
    ).lines;
  }
  const { events } = await tools.events.execute({ namespace: tr.namespace, limit: 200 });
  return judgeVersions(tr.service, tr.versionLabel, (p) => labels.get(p.name) ?? {}, {
    pods,
    logs,
    events,
  });
}
