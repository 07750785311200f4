import type { Evidence, IncidentAlert } from "../../core/types.ts";
import { failures } from "./plausibility.ts";

/**
 * Why a healthy check after an action must not be remembered as the action's fix, or undefined when it may: the
 * target was healthy before the action (nothing was fixed), or every alert had resolved before the action was sent
 * (the symptom cleared on its own).
 */
export function whyNotCredited(input: {
  evidence: Evidence;
  alerts: readonly IncidentAlert[];
  actedAt: string | null;
}): string | undefined {
  const { evidence, alerts, actedAt } = input;
  const signals = evidence.signals;
  if (failures(signals).length === 0) {
    const healthy = signals.find((s) => s.name === "healthy" && s.value !== false);
    return `the investigation before the action found no failure${healthy ? ` (${healthy.detail})` : ""}`;
  }
  if (actedAt && alerts.length > 0) {
    const acted = Date.parse(actedAt);
    const endedBefore = alerts.every((a) => {
      const ended = Date.parse(a.endsAt);
      return a.status === "resolved" && ended > 0 && ended <= acted;
    });
    if (endedBefore)
      return "every alert had resolved before the action was sent (the symptom cleared on its own)";
  }
  return undefined;
}
