import { AegisError } from "../../core/errors.ts";
import type { AgentDeps } from "../deps.ts";
import type { IncidentStateType, IncidentStateUpdate } from "../state.ts";
import { loadIncident } from "./loadIncident.ts";
import { withActionObject } from "../planners/actionObject.ts";
import type { Decision, Target } from "../../core/types.ts";
import { platformFor } from "../platforms/platform.ts";
import { selfReason } from "../policy/selfProtection.ts";

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
    const owned = withActionObject(planned, state.target, state.evidence);
    // An action on the dependency the symptom comes from: the incident's object becomes that dependency.
    const moved = owned.actsOn ? await onDependency(deps, incident.id, owned, owned.actsOn) : undefined;
    const decision = moved?.decision ?? owned;
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
    return { decision, ...(moved?.state ?? {}) };
  };
}

/**
 * Make the dependency the object acted on: locate it (it must exist and not be protected) and claim it for this
 * incident. When another open incident already holds it, or it cannot be acted on, the decision becomes an
 * escalation naming it: its own incident acts on it, never two.
 */
async function onDependency(
  deps: AgentDeps,
  incidentId: string,
  decision: Decision,
  dep: Target,
): Promise<{ decision: Decision; state?: IncidentStateUpdate }> {
  const escalate = (why: string): { decision: Decision } => ({
    decision: {
      ...decision,
      action: "none",
      params: {},
      disposition: "escalate",
      rationale: `${decision.rationale} Not acted on from here: ${why}.`,
    },
  });
  const platform = platformFor(deps.platforms, dep);
  const located = platform ? await platform.locate(dep) : undefined;
  if (!located?.ok) return escalate(`${dep.key} ${located ? located.reason : "has no platform"}`);
  const protectedReason =
    selfReason(deps.self, located.target, located.instanceId) ?? located.protectedReason;
  if (protectedReason) return escalate(protectedReason);
  const identity = located.identity ?? located.target.key;
  const holder = await deps.incidents.claimObject(incidentId, identity);
  if (holder) return escalate(`${identity} is already the object of incident ${holder}, which acts on it`);
  await deps.incidents.appendTimeline(incidentId, {
    step: "decide",
    message: `the symptom comes from ${located.target.key}: acting on it, not on the service that alerted`,
  });
  return {
    decision: { ...decision, actsOn: located.target },
    state: { target: located.target, containerId: located.instanceId, identity },
  };
}
