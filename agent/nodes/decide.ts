import { AegisError } from "../../core/errors.ts";
import type { AgentDeps } from "../deps.ts";
import type { IncidentStateType, IncidentStateUpdate } from "../state.ts";
import { loadIncident } from "./loadIncident.ts";
import { withActionObject } from "../planners/actionObject.ts";

/** Ask the planner for one Decision. */
export function makeDecide(deps: AgentDeps) {
  return async function decide(state: IncidentStateType): Promise<IncidentStateUpdate> {
    if (!state.target || !state.evidence) throw new AegisError("internal", "decide reached without evidence");
    const incident = await loadIncident(deps, state.incidentId);
    const planned = await deps.planner.decide({
      incident,
      target: state.target,
      evidence: state.evidence,
      recalled: state.recalled,
      policy: deps.policy,
    });
    // The decision names what its action acts on (a pod's owning Deployment for a rollback), whichever planner chose.
    const decision = withActionObject(planned, state.target, state.evidence);
    await deps.incidents.saveDecision(incident.id, decision);
    // Notes first: a fallback explains why the decision below is not the planner that was configured.
    for (const note of decision.notes ?? []) {
      await deps.incidents.appendTimeline(incident.id, { step: "decide", message: note });
    }
    const summary = decision.summary ? ` Root cause: ${decision.summary}` : "";
    await deps.incidents.appendTimeline(incident.id, {
      step: "decide",
      message: `${decision.planner} planner chose ${decision.action} (confidence ${decision.confidence}): ${decision.rationale}${summary}`,
      data: {
        contributions: decision.contributions,
        family: decision.family ?? null,
        ...(decision.rejectedHypotheses ? { rejectedHypotheses: decision.rejectedHypotheses } : {}),
        ...(decision.usage ? { usage: decision.usage } : {}),
      },
    });
    return { decision };
  };
}
