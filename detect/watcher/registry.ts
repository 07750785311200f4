import { z } from "zod";
import type { Alert } from "../../core/alert.ts";
import { redactValue } from "../../core/redact.ts";
import type { Signal } from "../../core/types.ts";
import type { PredictionRepository } from "../../store/predictionRepository.ts";
import { predictionAlert, type ForecastChart, type Prediction } from "./prediction.ts";

const pointSchema = z.tuple([z.number(), z.number()]);
const predictionSchema = z.object({
  key: z.string(),
  kind: z.enum(["exhaustion", "anomaly", "peer", "traffic"]),
  series: z.string(),
  labels: z.record(z.string(), z.string()),
  family: z.string().optional(),
  message: z.string(),
  leadTimeMs: z.number().nullable(),
  confidence: z.number(),
  contributions: z.record(z.string(), z.number()),
  at: z.number(),
  chart: z
    .object({
      unit: z.enum(["bytes", "seconds", "none"]),
      observed: z.array(pointSchema),
      forecast: z.array(pointSchema),
      limit: z.number(),
      limitLabel: z.string(),
      crossing: z.object({ at: z.number(), low: z.number(), high: z.number() }).nullable(),
    })
    .optional(),
});

/** A predictive alert's forecast, for a chart (GET /api/incidents/:id/forecast). */
export interface AlertForecast {
  fingerprint: string;
  kind: Prediction["kind"];
  series: string;
  message: string;
  confidence: number;
  leadTimeMs: number | null;
  at: number;
  chart: ForecastChart | null;
}

/**
 * The watcher's predictions by the fingerprint of the alert raised for them. Investigation asks it for
 * the signals behind an incident's predictive alerts, so the evidence is the forecast itself (Prometheus'
 * history, minutes of it), not a guess from labels: a webhook caller cannot forge an entry here.
 * Bounded: the oldest entries go first. With a repository, every prediction is stored before its alert
 * enters the pipeline and `restore` reads them back after a restart.
 */
export class PredictionRegistry {
  private readonly byFingerprint = new Map<string, Prediction>();
  private readonly capacity: number;
  private readonly store: PredictionRepository | undefined;
  private saves = 0;

  constructor(opts: { capacity?: number; store?: PredictionRepository } | number = {}) {
    const o = typeof opts === "number" ? { capacity: opts } : opts;
    this.capacity = o.capacity ?? 10_000;
    this.store = o.store;
  }

  /**
   * Read the newest stored predictions back (after a restart). Rows that do not parse or do not have a
   * prediction's shape are skipped and counted, never fatal.
   */
  async restore(): Promise<{ restored: number; skipped: number }> {
    if (this.store === undefined) return { restored: 0, skipped: 0 };
    const { rows, unreadable } = await this.store.recent(this.capacity);
    let skipped = unreadable;
    // Oldest first, so the map's insertion order (eviction order) stays by age.
    for (const r of [...rows].reverse()) {
      const parsed = predictionSchema.safeParse(r.prediction);
      if (!parsed.success) {
        skipped++;
        continue;
      }
      this.byFingerprint.delete(r.fingerprint);
      this.byFingerprint.set(r.fingerprint, parsed.data as Prediction);
    }
    return { restored: rows.length - (skipped - unreadable), skipped };
  }

  /**
   * Record a prediction (redacted: series labels come from Prometheus as they are) and return the alert
   * that carries it into the pipeline. Stored first when there is a repository: a crash after the alert
   * is ingested does not lose the evidence behind it.
   */
  async record(p: Prediction): Promise<Alert> {
    const safe = redactValue(p);
    const alert = predictionAlert(safe);
    if (this.store !== undefined) {
      await this.store.save(alert.fingerprint, safe, new Date(safe.at).toISOString());
      if (++this.saves % 100 === 0) await this.store.prune(this.capacity);
    }
    this.byFingerprint.delete(alert.fingerprint);
    this.byFingerprint.set(alert.fingerprint, safe);
    while (this.byFingerprint.size > this.capacity) {
      const oldest = this.byFingerprint.keys().next().value;
      if (oldest === undefined) break;
      this.byFingerprint.delete(oldest);
    }
    return alert;
  }

  /** When each watched series last raised (its key → time of the prediction), to seed a watcher's cooldown. */
  lastRaised(): Map<string, number> {
    const out = new Map<string, number>();
    for (const p of this.byFingerprint.values()) out.set(p.key, Math.max(out.get(p.key) ?? 0, p.at));
    return out;
  }

  /** The forecasts behind these alerts (predictive ones only), for a chart. */
  forecastsFor(alerts: readonly Pick<Alert, "fingerprint">[]): AlertForecast[] {
    const out: AlertForecast[] = [];
    const seen = new Set<string>();
    for (const a of alerts) {
      const p = this.byFingerprint.get(a.fingerprint);
      if (p === undefined || seen.has(a.fingerprint)) continue;
      seen.add(a.fingerprint);
      out.push({
        fingerprint: a.fingerprint,
        kind: p.kind,
        series: p.series,
        message: p.message,
        confidence: p.confidence,
        leadTimeMs: p.leadTimeMs,
        at: p.at,
        chart: p.chart ?? null,
      });
    }
    return out;
  }

  /** Signals of the predictions behind these alerts (a growing working set reads as `memory_growth`). */
  signalsFor(alerts: readonly Alert[]): Signal[] {
    const out: Signal[] = [];
    for (const a of alerts) {
      const p = this.byFingerprint.get(a.fingerprint);
      if (p === undefined || a.status !== "firing") continue;
      if (p.kind === "exhaustion" && p.family === "memory_leak") {
        const perSec = (p.contributions.growth_per_min ?? 0) / 60;
        out.push({ name: "memory_growth", value: Math.round(perSec), detail: `predicted: ${p.message}` });
      } else if (p.kind === "traffic") {
        const needed = p.contributions.replicas_needed ?? 0;
        out.push({ name: "traffic_ramp_predicted", value: needed, detail: `predicted: ${p.message}` });
      }
      out.push({ name: "predicted", value: Math.round((p.leadTimeMs ?? 0) / 1000), detail: p.message });
    }
    return out;
  }
}
