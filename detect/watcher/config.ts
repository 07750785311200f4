import { z } from "zod";
import { DEFAULT_DETECTOR_VERSION } from "../versions.ts";

/** One watched PromQL expression (each series it returns is watched on its own). */
export const watchedSeriesSchema = z
  .object({
    name: z.string().min(1).describe("shown in the predictive incident, e.g. checkout-memory"),
    query: z
      .string()
      .min(1)
      .describe('PromQL, e.g. container_memory_working_set_bytes{container="checkout"}'),
    kind: z
      .enum(["exhaustion", "anomaly", "peer", "traffic"])
      .describe(
        "exhaustion: time until the value reaches a limit (memory, disk); anomaly: the streaming detector; peer: one series out of line with the others of its group; traffic: seasonal forecast of a load (requests/s) to scale ahead of a ramp",
      ),
    limit: z.number().positive().optional().describe("exhaustion: the limit, in the series' unit"),
    limitQuery: z
      .string()
      .min(1)
      .optional()
      .describe(
        "exhaustion: PromQL of each series' limit (e.g. container_spec_memory_limit_bytes), matched on `matchOn`",
      ),
    matchOn: z
      .array(z.string())
      .default(["namespace", "pod", "container", "name", "instance", "device", "mountpoint"])
      .describe("labels that pair a series with its limit (those present on both)"),
    horizonMinutes: z
      .number()
      .positive()
      .default(30)
      .describe("exhaustion: raise when the limit is due within this"),
    windowMinutes: z
      .number()
      .positive()
      .default(10)
      .describe("exhaustion: the recent window the growth is fitted on"),
    minRampMinutes: z
      .number()
      .positive()
      .default(4)
      .describe("exhaustion: shortest growth that counts (one step up is not a leak)"),
    threshold: z
      .number()
      .gt(0)
      .lte(1)
      .optional()
      .describe("anomaly: alarm threshold; the detector version's when absent"),
    groupBy: z
      .array(z.string())
      .default(["namespace", "deployment", "service", "job"])
      .describe("peer: labels of one group"),
    capacityPerReplica: z
      .number()
      .positive()
      .optional()
      .describe("traffic: load one replica serves within its SLO (same unit as the series)"),
    replicasQuery: z
      .string()
      .min(1)
      .optional()
      .describe(
        "traffic: PromQL of the replicas running (e.g. kube_deployment_status_replicas), matched on `matchOn`",
      ),
    targetUtilisation: z
      .number()
      .gt(0)
      .lte(1)
      .default(0.7)
      .describe("traffic: share of capacity to plan for"),
    maxReplicas: z.number().int().min(1).optional().describe("traffic: never plan beyond this many replicas"),
    forecastMinutes: z.number().positive().default(30).describe("traffic: how far ahead the forecast looks"),
    historyDays: z
      .number()
      .positive()
      .max(28)
      .default(7)
      .describe("traffic: history the seasonal profile is learnt from at start"),
    unit: z.enum(["bytes", "seconds", "none"]).default("none").describe("how values read in messages"),
    family: z
      .string()
      .optional()
      .describe(
        "failure family the prediction belongs to (memory_leak, disk_pressure, latency_p95, traffic_spike ...)",
      ),
    labels: z
      .record(z.string(), z.string())
      .default({})
      .describe("labels added to each series' own when naming the target (e.g. namespace, deployment)"),
  })
  .strict()
  .refine((s) => s.kind !== "exhaustion" || s.limit !== undefined || s.limitQuery !== undefined, {
    message: "an exhaustion series needs limit or limitQuery",
  })
  .refine(
    (s) => s.kind !== "traffic" || (s.capacityPerReplica !== undefined && s.replicasQuery !== undefined),
    {
      message: "a traffic series needs capacityPerReplica and replicasQuery",
    },
  );

/** The policy file's `predictive` section: what the watcher polls and how it raises. */
export const predictiveSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe("run the watcher when PROMETHEUS_URL is set and series are listed"),
    intervalSeconds: z.number().positive().default(15).describe("time between polls"),
    stepSeconds: z.number().positive().default(15).describe("query_range resolution"),
    lookbackMinutes: z
      .number()
      .positive()
      .default(30)
      .describe("history fetched at start and kept per series"),
    forCycles: z
      .number()
      .int()
      .min(1)
      .default(2)
      .describe("polls an exhaustion forecast must hold before it raises"),
    cooldownMinutes: z.number().min(0).default(30).describe("quiet time per series after a raise"),
    detectorVersion: z
      .string()
      .default(DEFAULT_DETECTOR_VERSION)
      .describe("detect/versions/<v>.json: roll back by naming an older one"),
    series: z.array(watchedSeriesSchema).default([]),
  })
  .strict();

/** A watched series as configured. */
export type WatchedSeries = z.infer<typeof watchedSeriesSchema>;
/** The `predictive` section of the policy. */
export type PredictiveConfig = z.infer<typeof predictiveSchema>;
