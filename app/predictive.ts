import type { IncidentRunner } from "../agent/runner.ts";
import type { Policy } from "../agent/policy/schema.ts";
import { resolveTarget } from "../agent/targeting/resolveTarget.ts";
import type { Config } from "../core/config.ts";
import type { Logger } from "../core/logger.ts";
import { loadDetectorParams } from "../detect/versions.ts";
import type { PredictionRegistry } from "../detect/watcher/registry.ts";
import { prometheusSource, type SeriesSource } from "../detect/watcher/source.ts";
import { PredictiveWatcher } from "../detect/watcher/watcher.ts";
import type { IncidentRepository } from "../store/incidentRepository.ts";

/**
 * The predictive watcher wired into the incident pipeline: each prediction becomes an alert that goes
 * through the same ingest (one open incident per target, so an alert that fires later for the target joins
 * the predictive incident) and the same agent and policy. Null without PROMETHEUS_URL or watched series.
 */
export function createPredictiveWatcher(deps: {
  config: Readonly<Config>;
  policy: Policy;
  predictions: PredictionRegistry;
  incidents: IncidentRepository;
  runner: Pick<IncidentRunner, "enqueue">;
  logger: Logger;
  source?: SeriesSource;
}): PredictiveWatcher | null {
  const p = deps.policy.predictive;
  const source =
    deps.source ??
    (deps.config.prometheusUrl ? prometheusSource({ prometheusUrl: deps.config.prometheusUrl }) : null);
  if (!p.enabled || p.series.length === 0 || source === null) return null;
  const log = deps.logger.child({ module: "predictive" });
  return new PredictiveWatcher({
    config: p,
    source,
    detectorParams: loadDetectorParams(p.detectorVersion),
    log,
    // Predictions stored before a restart keep their series' cooldown: the same forecast is not raised again.
    raisedBefore: deps.predictions.lastRaised(),
    raise: async (prediction) => {
      // Series labels come from Prometheus as they are: the registry redacts the prediction as the webhook
      // redacts alerts (and stores it before the alert enters the pipeline).
      const alert = await deps.predictions.record(prediction);
      const target = resolveTarget(alert.labels, deps.policy);
      const [outcome] = await deps.incidents.ingest([{ alert, target }], new Date().toISOString());
      log.info(
        {
          series: prediction.series,
          outcome: outcome?.outcome,
          incident: outcome?.incidentId,
          leadTimeMs: prediction.leadTimeMs,
        },
        prediction.message,
      );
      if (outcome && (outcome.outcome === "created" || outcome.outcome === "joined"))
        deps.runner.enqueue([outcome.incidentId]);
    },
  });
}
