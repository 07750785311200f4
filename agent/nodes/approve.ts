import { interrupt } from "@langchain/langgraph";
import type { AgentDeps } from "../deps.ts";
import type { IncidentStateType, IncidentStateUpdate } from "../state.ts";
import { loadIncident } from "./loadIncident.ts";
import { describeError } from "../../core/errors.ts";

/** The answer a person gives to an approval request. */
export interface ApprovalAnswer {
  approved: boolean;
  by: string;
  comment?: string;
  /** Nobody answered within the policy's expiry: the incident escalates. */
  expired?: boolean;
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
        // Marks where this approval round starts: answers and the expiry count from here.
        data: { requested: true },
      });
      await requestApproval(deps, incident.id);
    }
    const answer = interrupt<{ incidentId: string; action: string | undefined }, ApprovalAnswer>({
      incidentId: incident.id,
      action: state.decision?.action,
    });
    if (!answer.approved) {
      const reason = answer.expired
        ? `approval expired: ${answer.comment ?? "nobody answered in time"}`
        : `rejected by ${answer.by}${answer.comment ? `: ${answer.comment}` : ""}`;
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

/** Ask people (Slack, when configured); a failure leaves the REST API as the way to answer. */
async function requestApproval(deps: AgentDeps, id: string): Promise<void> {
  if (!deps.notifier.approvalRequested) return;
  try {
    await deps.notifier.approvalRequested(await loadIncident(deps, id));
  } catch (err) {
    deps.logger.warn({ incident: id, err: describeError(err) }, "approval request not delivered");
    await deps.incidents.appendTimeline(id, {
      step: "approve",
      message: `approval request not delivered: ${describeError(err)}`,
    });
  }
}
