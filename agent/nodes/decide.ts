import { AegisError } from "../../core/errors.ts";
import type { AgentDeps } from "../deps.ts";
import type { IncidentStateType, IncidentStateUpdate } from "../state.ts";
import { loadIncident } from "./loadIncident.ts";

/** Ask the planner for one Decision. */
export function makeDecide(deps: AgentDeps) {
  return async function decide(state: IncidentStateType): Promise<IncidentStateUpdate> {
    if (!state.target || !state.evidence) throw new AegisError("internal", "decide reached without evidence");
    const incident = await loadIncident(deps, state.incidentId);
    const decision = await deps.planner.decide({
      incident,
      target: state.target,
      evidence: state.evidence,
      recalled: state.recalled,
      policy: deps.policy,
    });
    await deps.incidents.saveDecision(incident.id, decision);
    await deps.incidents.appendTimeline(incident.id, {
      step: "decide",
      message: `${decision.planner} planner chose ${decision.action} (confidence ${decision.confidence}): ${decision.rationale}`,
      data: { contributions: decision.contributions, family: decision.family ?? null },
    });
    return { decision };
  };
}
