import { interrupt } from "@langchain/langgraph";
import type { AgentDeps } from "../deps.ts";
import type { IncidentStateType, IncidentStateUpdate } from "../state.ts";
import { loadIncident } from "./loadIncident.ts";

/** The answer a person gives to an approval request. */
export interface ApprovalAnswer {
  approved: boolean;
  by: string;
  comment?: string;
}

/** Pause the run until a person approves or rejects (interrupt; resumed with an ApprovalAnswer). */
export function makeApprove(deps: AgentDeps) {
  return async function approve(state: IncidentStateType): Promise<IncidentStateUpdate> {
    // This node re-runs from the top on resume: only idempotent writes before interrupt().
    const incident = await loadIncident(deps, state.incidentId);
    if (incident.status !== "awaiting_approval") {
      await deps.incidents.setStatus(incident.id, "awaiting_approval", state.verdict?.reason ?? null, {
        step: "approve",
        message: `waiting for approval of ${state.decision?.action} on ${state.decision?.target}`,
      });
    }
    const answer = interrupt<{ incidentId: string; action: string | undefined }, ApprovalAnswer>({
      incidentId: incident.id,
      action: state.decision?.action,
    });
    if (!answer.approved) {
      const reason = `rejected by ${answer.by}${answer.comment ? `: ${answer.comment}` : ""}`;
      await deps.incidents.appendTimeline(incident.id, { step: "approve", message: reason });
      return { outcome: { status: "escalated", reason } };
    }
    await deps.incidents.appendTimeline(incident.id, {
      step: "approve",
      message: `approved by ${answer.by}`,
    });
    // The guard runs again before act: what was allowed when the request went out may not be now.
    return { approvedBy: answer.by };
  };
}
