import { describeError } from "../../core/errors.ts";
import { isTerminal } from "../../core/types.ts";
import type { AgentDeps } from "../deps.ts";
import type { IncidentStateType, IncidentStateUpdate } from "../state.ts";
import { loadIncident } from "./loadIncident.ts";

/** Record the final status and tell people. A failing notifier never changes the outcome. */
export function makeNotify(deps: AgentDeps) {
  return async function notify(state: IncidentStateType): Promise<IncidentStateUpdate> {
    const outcome = state.outcome ?? {
      status: "escalated" as const,
      reason: "the run ended without an outcome",
    };
    let incident = await loadIncident(deps, state.incidentId);
    if (!isTerminal(incident.status)) {
      await deps.incidents.setStatus(incident.id, outcome.status, outcome.reason, {
        step: outcome.status,
        message: outcome.reason,
      });
      incident = await loadIncident(deps, state.incidentId);
    }
    try {
      await deps.notifier.notify(incident);
    } catch (err) {
      deps.logger.warn({ incident: incident.id, err: describeError(err) }, "notifier failed");
      await deps.incidents.appendTimeline(incident.id, {
        step: "notify",
        message: `notification failed: ${describeError(err)}`,
      });
    }
    return {};
  };
}
