import type { Alert } from "../../core/alert.ts";
import type { Signal } from "../../core/types.ts";
import { predictionAlert, type Prediction } from "./prediction.ts";

/**
 * The watcher's predictions by the fingerprint of the alert raised for them. Investigation asks it for
 * the signals behind an incident's predictive alerts, so the evidence is the forecast itself (Prometheus'
 * history, minutes of it), not a guess from labels: a webhook caller cannot forge an entry here.
 * Bounded: the oldest entries go first.
 */
export class PredictionRegistry {
  private readonly byFingerprint = new Map<string, Prediction>();

  constructor(private readonly capacity = 10_000) {}

  /** Record a prediction and return the alert that carries it into the pipeline. */
  record(p: Prediction): Alert {
    const alert = predictionAlert(p);
    this.byFingerprint.delete(alert.fingerprint);
    this.byFingerprint.set(alert.fingerprint, p);
    while (this.byFingerprint.size > this.capacity) {
      const oldest = this.byFingerprint.keys().next().value;
      if (oldest === undefined) break;
      this.byFingerprint.delete(oldest);
    }
    return alert;
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
