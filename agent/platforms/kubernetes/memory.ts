import type { Signal } from "../../../core/types.ts";
import type { PodSnapshot } from "../../../tools/kubernetes/listPods.ts";
import type { PodUsage } from "../../../tools/kubernetes/podMetrics.ts";
import type { DeploymentSnapshot } from "../../../tools/kubernetes/rolloutHistory.ts";
import { signal } from "../../signals.ts";
import type { AgentClock } from "../platform.ts";

/** One container's working set over the sampling window, oldest reading first. */
export interface MemorySeries {
  pod: string;
  templateHash: string | null;
  limitBytes: number;
  readings: Array<{ at: number; bytes: number }>;
}

/**
 * Sampling: a first reading of every pod; only when one of them already uses half its limit, two more readings
 * one metrics-server resolution (15 s) apart. The window is therefore at most 30 s of the agent's clock, and
 * three reads of metrics.k8s.io.
 */
export const MEMORY_WATCH_RATIO = 0.5;
export const SAMPLE_INTERVAL_MS = 15_000;
export const SAMPLES = 3;
/** Growth slower than this share of the limit per minute is noise, not a leak (1.3 MiB/min for 256 MiB). */
const GROWTH_SHARE_PER_MIN = 0.005;
/** A working set that moved less than this share of its limit over the window is flat. */
const FLAT_SHARE = 0.01;
/** The newest interval must grow at least this share of the first one's rate: a cache that is filling slows down. */
const STEADY_RATIO = 0.5;
/** A revision this young can be what started a slow leak. */
const RELEASE_WINDOW_MS = 6 * 60 * 60_000;
const DAY_MS = 24 * 60 * 60_000;
/** A revision that has served this long without the leak filling its pods has run fine for a long time. */
const LONG_RUN_MS = DAY_MS;
const MIB = 1024 * 1024;

/** A series not yet read, with the container it reads. */
export type WatchedContainer = MemorySeries & { container: string };

/**
 * The container whose working set is read in each ready pod, by pod name: the one named, else the pod's first
 * container with a memory limit. Pods without such a container are left out (no limit, no leak to judge).
 */
export function watchedContainers(pods: PodSnapshot[], container?: string): Map<string, WatchedContainer> {
  const watched = new Map<string, WatchedContainer>();
  for (const p of pods) {
    if (p.deleting || !p.ready) continue;
    const c = p.containers.find((x) => (container ? x.name === container : x.memoryLimitBytes !== undefined));
    if (c?.memoryLimitBytes)
      watched.set(p.name, {
        pod: p.name,
        templateHash: p.templateHash,
        limitBytes: c.memoryLimitBytes,
        container: c.name,
        readings: [],
      });
  }
  return watched;
}

/**
 * Read the working set of the pods' containers (the one named, else each pod's first container with a memory
 * limit) through `read`, sampling over time through the agent's clock when one of them is already high.
 */
export async function sampleMemory(
  pods: PodSnapshot[],
  read: () => Promise<PodUsage[]>,
  clock: AgentClock,
  container?: string,
): Promise<MemorySeries[]> {
  const watched = watchedContainers(pods, container);
  if (watched.size === 0) return [];
  const take = async () => {
    const now = clock.now();
    for (const u of await read()) {
      const s = watched.get(u.pod);
      const bytes = u.containers.find((c) => c.name === s?.container)?.memoryBytes;
      if (!s || bytes === undefined) continue;
      const at = u.timestamp ? Date.parse(u.timestamp) : now;
      // Same scrape as the last reading: metrics-server has not looked again yet.
      if (s.readings.at(-1)?.at === at) continue;
      s.readings.push({ at, bytes });
    }
  };
  await take();
  const high = [...watched.values()].some(
    (s) => (s.readings[0]?.bytes ?? 0) >= MEMORY_WATCH_RATIO * s.limitBytes,
  );
  for (let i = 1; high && i < SAMPLES; i++) {
    await clock.sleep(SAMPLE_INTERVAL_MS);
    await take();
  }
  return [...watched.values()].filter((s) => s.readings.length > 0).map(({ container: _c, ...s }) => s);
}

type Trend = "growing" | "flat" | "unclear";

function trend(s: MemorySeries): { trend: Trend; perMin: number } {
  const r = s.readings;
  if (r.length < 3) return { trend: "unclear", perMin: 0 };
  const first = r[0]!;
  const last = r.at(-1)!;
  const minutes = (last.at - first.at) / 60_000;
  const perMin = minutes > 0 ? (last.bytes - first.bytes) / minutes : 0;
  if (Math.abs(last.bytes - first.bytes) <= FLAT_SHARE * s.limitBytes) return { trend: "flat", perMin };
  const rising = r.every((x, i) => i === 0 || x.bytes >= r[i - 1]!.bytes);
  const rate = (a: (typeof r)[number], b: (typeof r)[number]) =>
    (b.bytes - a.bytes) / Math.max(1, b.at - a.at);
  const steady = rate(r.at(-2)!, last) >= STEADY_RATIO * rate(first, r[1]!);
  if (rising && steady && perMin >= GROWTH_SHARE_PER_MIN * s.limitBytes) return { trend: "growing", perMin };
  return { trend: "unclear", perMin };
}

/**
 * Signals of memory sampled over time. Pure.
 * - `memory_growth`: every sampled pod of the newest revision grows steadily toward its limit;
 *   with `recent_rollout` when the growth began with that revision (older pods flat, or a young revision).
 * - `memory_plateau`: the working set is high but flat in every sampled pod (a warmed cache, not a leak).
 */
export function memorySignals(
  series: MemorySeries[],
  rollout: DeploymentSnapshot | undefined,
  now: number,
): Signal[] {
  const sampled = series.filter((s) => s.readings.length >= 3);
  if (sampled.length === 0) return [];
  const newest = rollout?.revisions[0];
  const ofNewest = newest ? sampled.filter((s) => s.templateHash === newest.templateHash) : sampled;
  const judged = sampled.map((s) => ({ s, ...trend(s) }));
  const growing = judged.filter((j) => j.trend === "growing");
  const usage = (s: MemorySeries) => s.readings.at(-1)!.bytes / s.limitBytes;
  const peak = Math.max(...sampled.map(usage));
  const windowS = Math.round(
    (Math.max(...sampled.map((s) => s.readings.at(-1)!.at)) -
      Math.min(...sampled.map((s) => s.readings[0]!.at))) /
      1000,
  );

  const out: Signal[] = [];
  const newestGrowing = ofNewest.length > 0 && ofNewest.every((s) => growing.some((g) => g.s === s));
  if (newestGrowing) {
    const rates = growing.filter((g) => ofNewest.includes(g.s));
    const perMin = Math.min(...rates.map((g) => g.perMin));
    const soonest = Math.min(...rates.map((g) => (g.s.limitBytes - g.s.readings.at(-1)!.bytes) / g.perMin));
    out.push(
      signal(
        "memory_growth",
        Math.max(1, Math.round(perMin / MIB)),
        `working set grows ${(perMin / MIB).toFixed(1)} MiB/min in every one of ${ofNewest.length} pod(s)${
          newest ? ` of revision ${newest.revision}` : ""
        } over ${windowS} s, now up to ${Math.round(peak * 100)}% of the limit; the first reaches it in ~${Math.max(
          0,
          Math.round(soonest),
        )} min`,
      ),
    );
    const older = sampled.filter((s) => !ofNewest.includes(s));
    // Pods of the previous revision beside the new ones are the control: they must not grow too.
    const olderFlat =
      older.length > 0 && older.every((s) => judged.find((j) => j.s === s)?.trend !== "growing");
    const age = newest?.createdAt ? now - Date.parse(newest.createdAt) : Infinity;
    const release =
      newest &&
      (rollout?.revisions.length ?? 0) > 1 &&
      (older.length > 0 ? olderFlat : age <= RELEASE_WINDOW_MS);
    // The only pods, of a revision that has served for a day or more: a leak in code that ran fine long enough
    // that a restart buys as long again (its fix is a release, not an action).
    if (!release && older.length === 0 && Number.isFinite(age) && age >= LONG_RUN_MS) {
      const soonestMin = Math.min(
        ...growing
          .filter((g) => ofNewest.includes(g.s))
          .map((g) => (g.s.limitBytes - g.s.readings.at(-1)!.bytes) / g.perMin),
      );
      out.push(
        signal(
          "leak_long_running",
          Math.floor(age / DAY_MS),
          `revision ${newest!.revision} (${newest!.images.join(", ")}) has run for ${(age / DAY_MS).toFixed(1)} days and leaks in every pod; at this rate the first pod reaches its limit in ~${Math.max(0, Math.round(soonestMin))} min`,
        ),
      );
    }
    if (release) {
      out.push(
        signal(
          "recent_rollout",
          newest.revision,
          `the growth began with revision ${newest.revision} (${newest.images.join(", ")}), rolled out ${Math.round(
            age / 60_000,
          )} min ago${olderFlat ? "; pods of the previous revision stay flat" : ""}`,
        ),
      );
    }
  } else if (judged.every((j) => j.trend === "flat") && peak >= MEMORY_WATCH_RATIO) {
    out.push(
      signal(
        "memory_plateau",
        Math.round(peak * 100),
        `working set high (up to ${Math.round(peak * 100)}% of the limit) but flat in all ${sampled.length} pod(s) over ${windowS} s: a filled cache, not a leak`,
      ),
    );
  }
  return out;
}
