import type { Signal } from "../../../core/types.ts";
import type { PodSnapshot } from "../../../tools/kubernetes/listPods.ts";
import { has, signal } from "../../signals.ts";
import { workloadSignals, type WorkloadObservations } from "./signals.ts";

/** Symptoms that make one version's pods unfit to serve. */
const FAILING = [
  "http_errors",
  "crash_loop",
  "oom_killed",
  "slow_on_one_node",
  "capacity_saturated",
] as const;

/** How each version of an app behind one Service is doing. */
export interface VersionVerdict {
  service: string;
  versionLabel: string;
  /** Versions whose pods show errors, crashes or slowness, with what was seen. */
  failing: Array<{ version: string; pods: number; why: string }>;
  /** Versions whose pods are all Ready and clean. */
  healthy: Array<{ version: string; pods: number }>;
}

/** Judge each version separately: the pods of one version, their logs and events, as one workload. Pure. */
export function judgeVersions(
  service: string,
  versionLabel: string,
  labelsOf: (p: PodSnapshot) => Record<string, string>,
  obs: WorkloadObservations,
): VersionVerdict {
  const byVersion = new Map<string, PodSnapshot[]>();
  for (const p of obs.pods) {
    const v = labelsOf(p)[versionLabel];
    if (v !== undefined && !p.deleting) byVersion.set(v, [...(byVersion.get(v) ?? []), p]);
  }
  const out: VersionVerdict = { service, versionLabel, failing: [], healthy: [] };
  for (const [version, pods] of [...byVersion.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const names = new Set(pods.map((p) => p.name));
    const signals = workloadSignals({
      pods,
      logs: Object.fromEntries(Object.entries(obs.logs).filter(([k]) => names.has(k))),
      events: obs.events.filter((e) => names.has(e.object.split("/")[1] ?? "")),
    });
    const bad = signals.filter((s) => (FAILING as readonly string[]).includes(s.name));
    if (bad.length > 0)
      out.failing.push({ version, pods: pods.length, why: bad.map((s) => s.detail).join("; ") });
    else if (has(signals, "healthy")) out.healthy.push({ version, pods: pods.length });
  }
  return out;
}

/** `version_unhealthy` when one version fails while another behind the same Service is healthy. Pure. */
export function versionSignals(v: VersionVerdict): Signal[] {
  const bad = v.failing[0];
  const good = v.healthy[0];
  if (v.failing.length !== 1 || !bad || !good) return [];
  return [
    signal(
      "version_unhealthy",
      bad.version,
      `behind Service ${v.service}, only ${v.versionLabel}=${bad.version} (${bad.pods} pod(s)) fails: ${bad.why.slice(0, 160)}; ` +
        `${v.healthy.map((h) => `${v.versionLabel}=${h.version} (${h.pods} pod(s))`).join(", ")} healthy`,
    ),
  ];
}
