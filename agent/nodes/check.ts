import { AegisError } from "../../core/errors.ts";
import type { AgentDeps } from "../deps.ts";
import { basisOf, judgePlausibility } from "../policy/plausibility.ts";
import type { IncidentStateType, IncidentStateUpdate } from "../state.ts";

/**
 * Between any planner and the guard: name the evidence the decision rests on, and hold back an action the evidence
 * does not support (refused: escalated with the reason; unsupported: a person approves it whatever the mode).
 */
export function makeCheck(deps: AgentDeps) {
  return async function check(state: IncidentStateType): Promise<IncidentStateUpdate> {
    const { decision, target, evidence } = state;
    if (!decision || !target || !evidence)
      throw new AegisError("internal", "check reached without a decision");
    const withBasis = { ...decision, basis: basisOf(decision, evidence) };
    await deps.incidents.saveDecision(state.incidentId, withBasis);
    const judged = judgePlausibility({ decision, target, evidence, policy: deps.policy });
    if (judged.verdict === "ok") return { decision: withBasis, needsApproval: null };
    const message =
      judged.verdict === "refuse"
        ? `plausibility: ${decision.action} refused: ${judged.reason}`
        : `plausibility: ${decision.action} needs a person's approval: ${judged.reason}`;
    await deps.incidents.appendTimeline(state.incidentId, {
      step: "check",
      message,
      data: { verdict: judged.verdict },
    });
    if (judged.verdict === "refuse") {
      return {
        decision: withBasis,
        outcome: { status: "escalated", reason: `action_not_supported_by_evidence: ${judged.reason}` },
      };
    }
    return { decision: withBasis, needsApproval: judged.reason };
  };
}
