import type { IncidentAlert } from "../../core/types.ts";
import type { MaintenanceWindow, Policy } from "./schema.ts";

/**
 * The maintenance window that covers an incident at `now`: every firing alert of the incident matches its
 * label matchers and `now` is inside its time range. Undefined when none does.
 */
export function coveringWindow(
  policy: Policy,
  alerts: readonly IncidentAlert[],
  now: number,
): MaintenanceWindow | undefined {
  const firing = alerts.filter((a) => a.status === "firing");
  if (firing.length === 0) return undefined;
  return policy.maintenance.find(
    (w) =>
      (!w.startsAt || Date.parse(w.startsAt) <= now) &&
      (!w.endsAt || now < Date.parse(w.endsAt)) &&
      firing.every((a) => Object.entries(w.matchers).every(([k, v]) => a.labels[k] === v)),
  );
}
