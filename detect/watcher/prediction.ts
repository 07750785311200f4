import { createHash } from "node:crypto";
import type { Alert } from "../../core/alert.ts";
import { formatBytes, formatSeconds } from "../../core/units.ts";

/** What the watcher saw coming, before any alert fires. */
export interface Prediction {
  /** Identity of the watched series (config name + its labels). */
  key: string;
  kind: "exhaustion" | "anomaly" | "peer" | "traffic";
  /** The configured series' name. */
  series: string;
  /** Labels naming the target (the series' own plus the configured ones), as an alert's would. */
  labels: Record<string, string>;
  family?: string | undefined;
  /** One sentence for people, e.g. "checkout's memory grows 4.1 MiB/min; its limit is reached in 17 min (± 3)". */
  message: string;
  /** Time until the predicted failure (ms); null when the failure is already under way (an anomaly). */
  leadTimeMs: number | null;
  /** Confidence in [0, 1]. */
  confidence: number;
  /** What drove the prediction (view or factor → weight). */
  contributions: Record<string, number>;
  /** Time of the newest sample it rests on (ms). */
  at: number;
  /** What a chart of it draws (forecasts only). */
  chart?: ForecastChart | undefined;
}

/**
 * A forecast as a chart draws it: the observed series, the forecast path, the limit line and the predicted
 * crossing. Times are ms since the epoch; values in `unit`. Served by GET /api/incidents/:id/forecast.
 */
export interface ForecastChart {
  unit: "bytes" | "seconds" | "none";
  /** Samples the forecast rests on, oldest first (at most CHART_POINTS). */
  observed: Array<[number, number]>;
  /** The forecast from the last sample on: for an exhaustion, the envelope's line to the limit. */
  forecast: Array<[number, number]>;
  /** The limit line: a container's memory limit, a disk's size, what the running replicas can serve. */
  limit: number;
  limitLabel: string;
  /** When the forecast meets the limit, with the band's earliest and latest; null when it does not. */
  crossing: { at: number; low: number; high: number } | null;
}

/** Most points of a chart's observed series; longer series are thinned evenly (the last point kept). */
export const CHART_POINTS = 240;

/** Thin [t, v] points to at most CHART_POINTS, keeping the first and the last. */
export function thinPoints(points: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const n = points.length;
  if (n <= CHART_POINTS) return points.map(([t, v]) => [t, v]);
  const out: Array<[number, number]> = [];
  for (let k = 0; k < CHART_POINTS; k++) {
    const [t, v] = points[Math.round((k * (n - 1)) / (CHART_POINTS - 1))]!;
    out.push([t, v]);
  }
  return out;
}

const ALERT_NAMES: Record<Prediction["kind"], string> = {
  exhaustion: "AegisPredictedExhaustion",
  anomaly: "AegisPredictedAnomaly",
  peer: "AegisPeerOutlier",
  traffic: "AegisPredictedTrafficRamp",
};

/** The alert names predictions are raised under: an incident carrying one came from the watcher. */
export const PREDICTION_ALERTNAMES: readonly string[] = Object.values(ALERT_NAMES);

/**
 * The prediction as an Alertmanager alert (webhook v4 shape), so it enters the same pipeline: triage
 * resolves its target from the labels, one open incident per target, the same policy.
 */
export function predictionAlert(p: Prediction): Alert {
  const labels: Record<string, string> = { ...p.labels };
  delete labels.__name__;
  labels.alertname = ALERT_NAMES[p.kind];
  labels.severity = "warning";
  labels.aegis_source = "predictive";
  if (p.family !== undefined) labels.aegis_family = p.family;
  const annotations: Record<string, string> = {
    summary: p.message,
    confidence: p.confidence.toFixed(2),
    contributions: JSON.stringify(p.contributions),
    series: p.series,
  };
  if (p.leadTimeMs !== null) annotations.lead_time_seconds = String(Math.round(p.leadTimeMs / 1000));
  const startsAt = new Date(p.at).toISOString();
  return {
    status: "firing",
    labels,
    annotations,
    startsAt,
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: "",
    fingerprint: `predictive-${createHash("sha256").update(p.key).digest("hex").slice(0, 16)}`,
  };
}

/** A value in the series' unit, for people. */
export function formatValue(v: number, unit: "bytes" | "seconds" | "none"): string {
  if (unit === "bytes") return formatBytes(v);
  if (unit === "seconds") return formatSeconds(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

/** The workload a series' labels name, for messages. */
export function whoOf(labels: Record<string, string>, fallback: string): string {
  return (
    labels.container ??
    labels.deployment ??
    labels.pod ??
    labels.service ??
    labels.name ??
    labels.instance ??
    labels.job ??
    fallback
  );
}
