import { describeError } from "../../core/errors.ts";
import { logLinesOf, queryFromIncident } from "../../runbooks/memory/incidentQuery.ts";
import type { AgentDeps } from "../deps.ts";
import { whyNotCredited } from "../policy/fixCredit.ts";
import { signatureOf } from "../signals.ts";
import type { IncidentStateType, IncidentStateUpdate } from "../state.ts";
import { loadIncident } from "./loadIncident.ts";
import { evidenceActedOn } from "../planners/actionObject.ts";

/**
 * Remember whether the action fixed this incident. Only a verified fix becomes something to repeat; a
 * failed one is kept as negative evidence that lowers the action for similar incidents.
 */
export function makeLearn(deps: AgentDeps) {
  return async function learn(state: IncidentStateType): Promise<IncidentStateUpdate> {
    const { decision, verification, target } = state;
    if (!decision || decision.action === "none" || !state.evidence || !verification || !target) return {};
    // A fix of the dependency is remembered for the dependency's own evidence, never as a fix of its victim.
    const evidence = evidenceActedOn(decision, state.evidence);
    const incident = await loadIncident(deps, state.incidentId);
    const signature = signatureOf(evidence.signals);
    const outcome = verification.healthy ? "verified" : "failed";
    const notCredited =
      outcome === "verified"
        ? whyNotCredited({ evidence, alerts: incident.alerts, actedAt: state.actedAt })
        : undefined;
    if (notCredited) {
      await deps.incidents.appendTimeline(state.incidentId, {
        step: "learn",
        message: `not remembered as a fix: ${notCredited}`,
      });
      return {};
    }
    const query = queryFromIncident({
      alerts: incident.alerts,
      signals: evidence.signals,
      logLines: logLinesOf(evidence.observations),
      targetKind: target.kind,
    });
    let result: Awaited<ReturnType<AgentDeps["memory"]["record"]>>;
    try {
      result = await deps.memory.record({
        incidentId: state.incidentId,
        signature,
        family: decision.family ?? null,
        action: decision.action,
        outcome,
        targetKind: target.kind,
        text: query.text,
        alertNames: query.alertNames ?? [],
        services: query.services ?? [],
        verification: verification.evidence.map((e) => `${e.check}: ${e.ok ? "ok" : "not ok"} (${e.detail})`),
      });
    } catch (err) {
      await deps.incidents.appendTimeline(state.incidentId, {
        step: "learn",
        message: `could not remember ${decision.action} ${outcome}: ${describeError(err)}`,
      });
      return {};
    }
    await deps.incidents.appendTimeline(state.incidentId, {
      step: "learn",
      message:
        `remembered: ${decision.action} ${outcome} for [${signature.join(", ")}]` +
        (outcome === "failed" ? " as negative evidence" : "") +
        (result.merged ? ` (merged into ${result.entry})` : ` (new entry ${result.entry})`),
    });
    return {};
  };
}
