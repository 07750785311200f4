import type { AgentDeps } from "../deps.ts";
import { signatureOf } from "../signals.ts";
import type { IncidentStateType, IncidentStateUpdate } from "../state.ts";

/** Remember whether the action fixed these symptoms, for the next similar incident. */
export function makeLearn(deps: AgentDeps) {
  return async function learn(state: IncidentStateType): Promise<IncidentStateUpdate> {
    const { decision, evidence, verification, target } = state;
    if (!decision || decision.action === "none" || !evidence || !verification || !target) return {};
    const signature = signatureOf(evidence.signals);
    const outcome = verification.healthy ? "verified" : "failed";
    await deps.memory.record({
      incidentId: state.incidentId,
      signature,
      family: decision.family ?? null,
      action: decision.action,
      outcome,
      targetKind: target.kind,
    });
    await deps.incidents.appendTimeline(state.incidentId, {
      step: "learn",
      message: `remembered: ${decision.action} ${outcome} for [${signature.join(", ")}]`,
    });
    return {};
  };
}
