import type { AlertForecast } from "../../detect/watcher/registry.ts";

/** A point of a series: time (ms since the epoch) and value. */
export interface Point {
  t: number;
  v: number;
}

/** A predictive incident's forecast as the page draws it. */
export interface ForecastView {
  kind: string;
  /** The watched series' name (policy `predictive.series[].name`). */
  series: string;
  unit: "bytes" | "seconds" | "none";
  /** Samples the forecast rests on, oldest first. */
  observed: Point[];
  /** The forecast from the newest sample on. */
  projected: Point[];
  limit: number;
  /** What the limit is: a memory limit, a disk's size, what the running replicas serve. */
  limitLabel: string;
  /** When the forecast meets the limit, with the band of that time; null when it does not. */
  crossingAt: number | null;
  crossingLow: number | null;
  crossingHigh: number | null;
  /** The prediction's sentence for people. */
  message: string;
}

const points = (ps: Array<[number, number]>): Point[] => ps.map(([t, v]) => ({ t, v }));

/**
 * The first forecast with a chart among those the watcher keeps for an incident's alerts (the registry,
 * written by the watcher itself: an alert posted to the webhook cannot bring one). Undefined when none.
 */
export function forecastView(forecasts: readonly AlertForecast[]): ForecastView | undefined {
  const f = forecasts.find((x) => x.chart !== null);
  if (!f?.chart) return undefined;
  const c = f.chart;
  return {
    kind: f.kind,
    series: f.series,
    unit: c.unit,
    observed: points(c.observed),
    projected: points(c.forecast),
    limit: c.limit,
    limitLabel: c.limitLabel,
    crossingAt: c.crossing?.at ?? null,
    crossingLow: c.crossing && c.crossing.low !== c.crossing.at ? c.crossing.low : null,
    crossingHigh: c.crossing && c.crossing.high !== c.crossing.at ? c.crossing.high : null,
    message: f.message,
  };
}
