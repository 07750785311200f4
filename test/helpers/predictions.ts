import type { Prediction } from "../../detect/watcher/prediction.ts";

const MiB = 2 ** 20;

/**
 * A memory exhaustion prediction as the watcher raises it for `container`: 20 samples growing 4 MiB/min up
 * to 444 MiB at `at`, its 512 MiB limit reached 17 min later (band 14 to 21 min).
 */
export function leakPrediction(container: string, at: number): Prediction {
  return {
    key: `container_memory|${container}`,
    kind: "exhaustion",
    series: "container_memory",
    labels: { container },
    family: "memory_leak",
    message: `${container}'s container_memory grows 4.0 MiB/min; its limit (512 MiB) is reached in 17 min (± 3)`,
    leadTimeMs: 17 * 60_000,
    confidence: 0.9,
    contributions: { growth_per_min: 4 * MiB, headroom: 68 * MiB },
    at,
    chart: {
      unit: "bytes",
      observed: Array.from({ length: 20 }, (_, k) => [at - (19 - k) * 30_000, (406 + 2 * k) * MiB]),
      forecast: [
        [at, 444 * MiB],
        [at + 17 * 60_000, 512 * MiB],
      ],
      limit: 512 * MiB,
      limitLabel: "limit",
      crossing: { at: at + 17 * 60_000, low: at + 14 * 60_000, high: at + 21 * 60_000 },
    },
  };
}
