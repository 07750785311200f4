import type { UndoCount } from "../agent/undo/personUndo.ts";
import { counter, type MetricsRegistry } from "./metrics.ts";

/**
 * Register `aegis_undo_total{action,result,via}` (a person's undos from the API, the dashboard or Slack: sent,
 * skipped when there was nothing to put back, failed at the platform, refused before anything ran) and return
 * what counts one.
 */
export function registerUndoMetrics(registry: MetricsRegistry): (count: UndoCount) => void {
  const undos = counter(
    registry,
    "aegis_undo_total",
    "Undos a person asked for, by catalog action (none when refused before one was found), result (sent, skipped, failed, refused) and channel (api, dashboard, slack).",
    ["action", "result", "via"],
  );
  return (count) => undos.inc({ action: count.action, result: count.result, via: count.via });
}
