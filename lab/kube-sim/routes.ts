import type { PodLoad } from "./load.ts";
import type { ImageBehaviour } from "./registry.ts";

/** The requests of one route of a pod: how its exporter labels them, their share, errors and latency. */
export interface RequestPart {
  /** Labels the process's exporter adds to its request metrics for this part (none without routes). */
  labels: Record<string, string>;
  share: number;
  errors: { code: string; ratio: number }[];
  p50: number;
  p95: number;
}

/**
 * Splits a pod's requests by the routes its image declares. Each route's requests carry its own labels
 * (default `{route: <path>}`), its own error ratio and its own extra latency on top of what every request of
 * the pod sees (its CPU, its database, its callees); the traffic no route takes is labelled
 * `otherRouteLabels` (default `{route: "/"}`). An image without routes gives one part without labels, as
 * before.
 */
export function requestParts(pl: PodLoad, b: ImageBehaviour): RequestPart[] {
  const routes = b.routes ?? [];
  if (!routes.length) return [{ labels: {}, share: 1, errors: pl.errors, p50: pl.p50, p95: pl.p95 }];
  const common = pl.errors.filter((e) => e.route === undefined);
  const parts: RequestPart[] = routes.map((r) => {
    const extra = (r.latencyMs ?? 0) / 1000;
    return {
      labels: r.labels ?? { route: r.path },
      share: r.share,
      errors: r.errorRatio > 0 ? [...common, { code: r.code, ratio: r.errorRatio }] : common,
      p50: pl.p50 + extra,
      p95: pl.p95 + extra * 1.2,
    };
  });
  const rest = 1 - routes.reduce((n, r) => n + r.share, 0);
  if (rest > 1e-9)
    parts.push({
      labels: b.otherRouteLabels ?? { route: "/" },
      share: rest,
      errors: common,
      p50: pl.p50,
      p95: pl.p95,
    });
  return parts;
}

/** The 95th percentile over all parts (what the pod's own request summary in its log reports). */
export function overallP95(parts: readonly RequestPart[]): number {
  // Slowest first: the part that holds the slowest 5 % of requests sets the percentile.
  const sorted = [...parts].sort((a, b) => b.p95 - a.p95);
  let tail = 0;
  for (const p of sorted) {
    tail += p.share;
    if (tail >= 0.05) return p.p95;
  }
  return sorted[sorted.length - 1]?.p95 ?? 0;
}
