import { AegisError } from "../../core/errors.ts";
import type { AgentDeps } from "../deps.ts";
import { basisOf, judgePlausibility } from "../policy/plausibility.ts";
import type { IncidentStateType, IncidentStateUpdate } from "../state.ts";
import { loadIncident } from "./loadIncident.ts";
import { evidenceActedOn } from "../planners/actionObject.ts";
import type { IncidentAlert } from "../../core/types.ts";

/** Severities that report rather than page (kube-prometheus' `info`, awesome-prometheus-alerts' `info`). */
const INFORMATIONAL = new Set(["info", "informational", "none", "debug"]);

/** `severity=info` when every firing alert is informational; undefined otherwise (or with no severity). */
function informationalOnly(alerts: readonly IncidentAlert[]): string | undefined {
  const firing = alerts.filter((a) => a.status === "firing");
  const severities = [...new Set(firing.map((a) => (a.labels.severity ?? "").toLowerCase()))];
  if (firing.length === 0 || !severities.every((s) => INFORMATIONAL.has(s))) return undefined;
  return severities.map((s) => `severity=${s}`).join(", ");
}

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
    const incident = await loadIncident(deps, state.incidentId);
    const informational = informationalOnly(incident.alerts);
    if (informational && decision.action !== "none") {
      const reason = `informational alert(s) only (${informational}): nothing is changed for an alert that reports, not one that pages`;
      await deps.incidents.appendTimeline(state.incidentId, {
        step: "check",
        message: `plausibility: ${decision.action} not taken: ${reason}`,
      });
      return { decision: withBasis, outcome: { status: "dismissed", reason } };
    }
    // An action about to be taken, or a target that looks healthy: do the alerts still describe the world?
    const looksHealthy = evidence.signals.some((x) => x.name === "healthy" && x.value !== false);
    if ((decision.action !== "none" || looksHealthy) && deps.currentness) {
      const { stale, errors } = await deps.currentness(incident.alerts);
      for (const e of errors)
        await deps.incidents.appendTimeline(state.incidentId, {
          step: "check",
          message: `could not tell whether the alert still holds, going on: ${e}`,
        });
      if (stale) {
        const reason = `alert no longer current: ${stale}; ${decision.action === "none" ? "nothing to do" : `${decision.action} not taken`}`;
        await deps.incidents.appendTimeline(state.incidentId, { step: "check", message: reason });
        return { decision: withBasis, outcome: { status: "dismissed", reason } };
      }
    }
    // An action on the dependency the symptom comes from is judged by the dependency's own evidence.
    const judged = judgePlausibility({
      decision,
      target,
      evidence: evidenceActedOn(decision, evidence),
      policy: deps.policy,
    });
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
