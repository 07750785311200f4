import { z } from "zod";
import type { Alert } from "../../core/alert.ts";

/** A point of a series: time (ms since the epoch) and value. */
export interface Point {
  t: number;
  v: number;
}

/** A predictive incident's forecast as the page draws it. */
export interface ForecastView {
  /** The watched series' name (policy `predictive.series[].name`). */
  series: string;
  unit: "bytes" | "seconds" | "none";
  /** What the line measures: the series itself, or the headroom left before the limit (limit = 0). */
  measure: "value" | "headroom";
  /** Samples the forecast rests on (may be empty when the incident kept none). */
  observed: Point[];
  /** The forecast line from the newest sample on. */
  projected: Point[];
  limit: number;
  /** When the line meets the limit, with the band of that time where the forecast gives one. */
  crossingAt: number | null;
  crossingLow: number | null;
  crossingHigh: number | null;
  /** The prediction's sentence for people. */
  message: string;
}

const exhaustionContributions = z.object({
  growth_per_min: z.number().positive(),
  headroom: z.number(),
  eta_low_min: z.number().optional(),
  eta_high_min: z.number().optional(),
});

/**
 * The forecast of a predictive exhaustion incident, from what its alert carries: the growth per minute and
 * the headroom left at the newest sample (`startsAt`). Without the series and the limit themselves, the line
 * is the headroom falling to zero at the predicted crossing; the band is the forecast's earliest and latest
 * time. Undefined for any other incident.
 */
export function forecastOf(incident: {
  alerts: ReadonlyArray<Pick<Alert, "labels" | "annotations" | "startsAt">>;
}): ForecastView | undefined {
  for (const a of incident.alerts) {
    if (a.labels.aegis_source !== "predictive" || a.labels.alertname !== "AegisPredictedExhaustion") continue;
    const at = Date.parse(a.startsAt);
    let raw: unknown;
    try {
      raw = JSON.parse(a.annotations.contributions ?? "null");
    } catch {
      continue;
    }
    const c = exhaustionContributions.safeParse(raw);
    if (!c.success || !Number.isFinite(at)) continue;
    const { growth_per_min: growth, headroom } = c.data;
    const minutes = Math.max(0, headroom) / growth;
    const crossingAt = at + minutes * 60_000;
    const band = (m: number | undefined) => (m !== undefined && m >= 0 ? at + m * 60_000 : null);
    const crossingHigh = band(c.data.eta_high_min);
    const end = Math.max(crossingAt, crossingHigh ?? 0) + minutes * 6_000; // 10 % past the crossing
    return {
      series: a.annotations.series ?? "series",
      unit: "none",
      measure: "headroom",
      observed: [],
      projected: [
        { t: at, v: headroom },
        { t: end, v: headroom - growth * ((end - at) / 60_000) },
      ],
      limit: 0,
      crossingAt,
      crossingLow: band(c.data.eta_low_min),
      crossingHigh,
      message: a.annotations.summary ?? "",
    };
  }
  return undefined;
}
