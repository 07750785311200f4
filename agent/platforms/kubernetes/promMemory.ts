import type { PodSnapshot } from "../../../tools/kubernetes/listPods.ts";
import {
  alertWindow,
  queryPrometheusRange,
  type WindowBounds,
} from "../../../tools/prometheus/rangeQuery.ts";
import { watchedContainers, type MemorySeries } from "./memory.ts";

/**
 * The history read: from the alert's start back to at least 2 minutes before now (a leak's growth began before its
 * alert fired), never more than 15 minutes, in 100 steps (the range tool keeps at most 120 points per series).
 */
const WINDOW: WindowBounds = { minMs: 2 * 60_000, maxMs: 15 * 60_000, steps: 100 };
/** Distinct readings a pod's history needs before it says anything. */
const MIN_POINTS = 3;
/** The readings are averaged into this many equal slices of time: a trend, not each scrape's jitter. */
const SLICES = 5;

const quote = (s: string) => JSON.stringify(s);
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The working set of the pods' watched containers (as `sampleMemory` picks them) over the last minutes, from
 * Prometheus' `container_memory_working_set_bytes` (cAdvisor through the kubelet: `namespace`, `pod`,
 * `container` labels), instead of sampling metrics-server on the spot. Each pod's readings are averaged into a
 * few equal slices of the window. Undefined when Prometheus holds fewer than three distinct readings for any
 * watched pod (too young a history: the caller samples instead).
 */
export async function memoryFromPrometheus(opts: {
  prometheusUrl: string;
  namespace: string;
  pods: PodSnapshot[];
  container?: string | undefined;
  /** Epoch ms the alert began. */
  since?: number | undefined;
  now?: number;
}): Promise<MemorySeries[] | undefined> {
  const watched = watchedContainers(opts.pods, opts.container);
  if (watched.size === 0) return [];
  const window = alertWindow(opts, WINDOW);
  const pods = [...watched.keys()].map(escapeRegex).join("|");
  const selector = `container_memory_working_set_bytes{namespace=${quote(opts.namespace)}, pod=~${quote(pods)}, container!="", container!="POD"}`;
  const range = (query: string) =>
    queryPrometheusRange({ prometheusUrl: opts.prometheusUrl, query, ...window });
  // Each step repeats the newest sample before it; `timestamp()` says which scrape that was, so each scrape is
  // read once and at its own time (a flat series is told from a single scrape seen at many steps).
  const [values, scrapes] = await Promise.all([
    range(`max by (pod, container) (${selector})`),
    range(`max by (pod, container) (timestamp(${selector}))`),
  ]);
  const key = (l: Record<string, string>) => `${l.pod ?? ""}\u0000${l.container ?? ""}`;
  const scrapedAt = new Map(scrapes.series.map((s) => [key(s.labels), new Map(s.points)]));
  const out: MemorySeries[] = [];
  for (const s of values.series) {
    const w = s.labels.pod ? watched.get(s.labels.pod) : undefined;
    const when = scrapedAt.get(key(s.labels));
    if (!w || !when || s.labels.container !== w.container) continue;
    const points: Array<[number, number]> = [];
    for (const [step, v] of s.points) {
      const at = when.get(step);
      if (at === undefined || !Number.isFinite(v)) continue;
      const ms = Math.round(at * 1000);
      if (points.at(-1)?.[0] !== ms) points.push([ms, v]);
    }
    if (points.length < MIN_POINTS) continue;
    const { container: _c, ...series } = w;
    out.push({ ...series, readings: slices(points) });
  }
  // A pod without enough history (a young one, or one the scrape misses) would go unjudged: sample instead.
  return out.length === watched.size ? out : undefined;
}

/** Mean time and value of each of up to SLICES equal slices of time that hold a reading, oldest first. */
function slices(points: Array<[number, number]>): Array<{ at: number; bytes: number }> {
  const first = points[0]![0];
  const span = Math.max(1, points.at(-1)![0] - first);
  const n = Math.min(SLICES, points.length);
  const sums = Array.from({ length: n }, () => ({ at: 0, bytes: 0, count: 0 }));
  for (const [at, bytes] of points) {
    const b = sums[Math.min(n - 1, Math.floor(((at - first) / span) * n))]!;
    b.at += at;
    b.bytes += bytes;
    b.count += 1;
  }
  return sums
    .filter((b) => b.count > 0)
    .map((b) => ({ at: Math.round(b.at / b.count), bytes: b.bytes / b.count }));
}
