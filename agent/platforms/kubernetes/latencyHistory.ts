import type { Signal } from "../../../core/types.ts";
import type { DeploymentSnapshot } from "../../../tools/kubernetes/rolloutHistory.ts";
import { signal } from "../../signals.ts";

/** One pod's latency quantile over the window: [epoch ms, seconds] points, oldest first. */
export interface PodLatency {
  pod: string;
  points: ReadonlyArray<readonly [number, number]>;
}

/** Readings per revision before its latency counts: one scrape is not a level. */
const MIN_POINTS = 3;
/** How much slower the new revision must be than the previous one, as a ratio and in absolute seconds. */
const SLOWER_RATIO = 2;
const SLOWER_BY_S = 0.1;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (s: number) => `${Math.round(s * 1000)} ms`;

/**
 * A per-pod series' level for each revision's own pods (latency, error ratio), read from history (a pod belongs to the revision whose ReplicaSet name
 * prefixes its name): the level (median) over the window of every reading of its pods. Undefined for a revision
 * with fewer than three readings.
 */
export function revisionLevels(
  rollout: DeploymentSnapshot,
  pods: readonly PodLatency[],
): Map<number, { level: number; readings: number; pods: number }> {
  const out = new Map<number, { level: number; readings: number; pods: number }>();
  for (const r of rollout.revisions) {
    const own = pods.filter((p) => p.pod.startsWith(`${r.name}-`));
    const values = own.flatMap((p) => p.points.map(([, v]) => v)).filter(Number.isFinite);
    if (values.length >= MIN_POINTS)
      out.set(r.revision, { level: median(values), readings: values.length, pods: own.length });
  }
  return out;
}

/**
 * Whether slowness began with the newest revision, from the pods' own latency history. Pure.
 * - `latency_began_with_revision` (value: the revision): the newest revision's pods answer at least twice as slowly
 *   (and 100 ms slower) than the previous revision's pods did in the same window. The previous revision ran fine, so
 *   a rollback restores it; the comparison is of the two releases under the same traffic, not of before and after.
 * - `latency_predates_revision` (value: the revision): both revisions have readings and the newest is not that much
 *   slower: whatever the alert sees, the release did not bring it (load or a dependency), and a rollback would not help.
 * Nothing when only one revision has readings.
 */
export function latencySignals(
  rollout: DeploymentSnapshot | undefined,
  pods: readonly PodLatency[],
  quantile: string,
): Signal[] {
  const [newest, previous] = rollout?.revisions ?? [];
  if (!rollout || !newest || !previous) return [];
  const levels = revisionLevels(rollout, pods);
  const now = levels.get(newest.revision);
  const before = levels.get(previous.revision);
  if (!now || !before) return [];
  if (now.level < before.level * SLOWER_RATIO || now.level - before.level < SLOWER_BY_S)
    return [
      signal(
        "latency_predates_revision",
        newest.revision,
        `${quantile} latency of revision ${newest.revision} is ${ms(now.level)} over ${now.readings} reading(s), against ${ms(before.level)} for revision ${previous.revision} in the same window (Prometheus history): the release did not make it slower, so a rollback would not make it faster`,
      ),
    ];
  return [
    signal(
      "latency_began_with_revision",
      newest.revision,
      `${quantile} latency of revision ${newest.revision} (${newest.images.join(", ")}) is ${ms(now.level)} over ${now.readings} reading(s) of ${now.pods} pod(s), against ${ms(before.level)} for revision ${previous.revision} (${previous.images.join(", ")}) in the same window (Prometheus history): the slowness came with the new release`,
    ),
  ];
}

/**
 * Whether a workload became slow within the window, whatever its revisions: the level of its newest third of
 * readings (every pod, by time) against its oldest third, with the same margins. Undefined when it did not, or
 * the history is too short. Pure.
 */
export function latencyRose(pods: readonly PodLatency[]): { before: number; now: number } | undefined {
  const all = pods
    .flatMap((p) => p.points)
    .filter(([, v]) => Number.isFinite(v))
    .sort((a, b) => a[0] - b[0]);
  if (all.length < 3 * MIN_POINTS) return undefined;
  const third = Math.floor(all.length / 3);
  const before = median(all.slice(0, third).map(([, v]) => v));
  const now = median(all.slice(-third).map(([, v]) => v));
  return now >= before * SLOWER_RATIO && now - before >= SLOWER_BY_S ? { before, now } : undefined;
}

/** How a latency level reads in a signal's detail. */
export const latencyText = ms;

/** Share of requests answered 5xx at which a revision's errors count, and how many times its predecessor's. */
const ERROR_RATIO = 0.05;
const ERROR_TIMES = 5;

/**
 * Whether server errors began with the newest revision, from the pods' own 5xx ratio in history. Pure.
 * - `errors_began_with_revision` (value: the revision): the newest revision's pods answer at least 5 % of requests
 *   with 5xx, five times the previous revision's pods' share in the same window.
 * - `errors_predate_revision` (value: the revision): the previous revision's pods answered at least 5 % 5xx as well
 *   (and the newest not five times more): the errors did not come with the release.
 * Nothing when only one revision has readings, or neither errs.
 */
export function errorSignals(rollout: DeploymentSnapshot | undefined, pods: readonly PodLatency[]): Signal[] {
  const [newest, previous] = rollout?.revisions ?? [];
  if (!rollout || !newest || !previous) return [];
  const levels = revisionLevels(rollout, pods);
  const now = levels.get(newest.revision);
  const before = levels.get(previous.revision);
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  if (!now || !before) return [];
  if (now.level < ERROR_RATIO || now.level < before.level * ERROR_TIMES)
    return before.level >= ERROR_RATIO
      ? [
          signal(
            "errors_predate_revision",
            newest.revision,
            `revision ${newest.revision} answers ${pct(now.level)} of requests with 5xx, and revision ${previous.revision} answered ${pct(before.level)} in the same window (Prometheus history): the errors were there before the release, so a rollback would not end them`,
          ),
        ]
      : [];
  return [
    signal(
      "errors_began_with_revision",
      newest.revision,
      `revision ${newest.revision} (${newest.images.join(", ")}) answers ${pct(now.level)} of requests with 5xx over ${now.readings} reading(s) of ${now.pods} pod(s), against ${pct(before.level)} for revision ${previous.revision} (${previous.images.join(", ")}) in the same window (Prometheus history): the errors came with the new release`,
    ),
  ];
}
