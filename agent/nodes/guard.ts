import { ACTION_RISK } from "../../core/catalog.ts";
import { AegisError } from "../../core/errors.ts";
import { isTerminal } from "../../core/types.ts";
import type { AgentDeps } from "../deps.ts";
import { actionObjectKey } from "../planners/actionObject.ts";
import { platformFor } from "../platforms/platform.ts";
import { effectiveMode } from "../policy/mode.ts";
import { protectedServiceReason } from "../policy/protection.ts";
import { selfReason } from "../policy/selfProtection.ts";
import type { IncidentStateType, IncidentStateUpdate, Outcome } from "../state.ts";
import { loadIncident } from "./loadIncident.ts";

const HOUR_MS = 3_600_000;

/**
 * Check the planner's decision against policy, whatever the planner was: allowlist, platform support,
 * the target still being the one the labels name and not protected, the per-target cap, and the mode.
 */
export function makeGuard(deps: AgentDeps) {
  return async function guard(state: IncidentStateType): Promise<IncidentStateUpdate> {
    const { decision, target } = state;
    if (!decision || !target) throw new AegisError("internal", "guard reached without a decision");
    const incident = await loadIncident(deps, state.incidentId);
    const block = async (outcome: Outcome): Promise<IncidentStateUpdate> => {
      await deps.incidents.appendTimeline(incident.id, { step: "guard", message: outcome.reason });
      return { outcome, verdict: { allowed: false, mode: deps.settings.mode, reason: outcome.reason } };
    };

    // A resolved notification may have dismissed the incident while we were investigating.
    if (isTerminal(incident.status)) {
      return {
        outcome: { status: incident.status as Outcome["status"], reason: incident.statusReason ?? "" },
      };
    }
    if (decision.action === "none") {
      const status = decision.disposition === "dismiss" ? "dismissed" : "escalated";
      return block({ status, reason: decision.rationale });
    }
    if (!deps.policy.allowlist.includes(decision.action)) {
      return block({
        status: "escalated",
        reason: `action_blocked_by_policy: ${decision.action} is not on the allowlist`,
      });
    }
    const platform = platformFor(deps.platforms, target);
    if (!platform?.actions.includes(decision.action)) {
      return block({
        status: "escalated",
        reason: `action_blocked_by_policy: ${decision.action} cannot be applied to a ${target.kind} target`,
      });
    }
    const located = await platform.locate(target);
    if (!located.ok)
      return block({
        status: "escalated",
        reason: `${located.code ?? "target_not_found"}: ${located.reason}`,
      });
    // Whatever the planner proposed: a protected target is never acted on (it may have become one since triage).
    const protectedReason =
      selfReason(deps.self, located.target, located.instanceId) ??
      located.protectedReason ??
      protectedServiceReason(deps.policy, located.target, incident.alerts);
    if (protectedReason)
      return block({ status: "dismissed", reason: `action_blocked_by_policy: ${protectedReason}` });
    if (state.containerId && located.instanceId && located.instanceId !== state.containerId) {
      return block({
        status: "escalated",
        reason: `target_mismatch: ${target.key} is now a different instance than the one investigated`,
      });
    }
    const since = new Date(Date.now() - HOUR_MS).toISOString();
    // Counted on the real object, not on what the labels called it (name, id, id prefix, a pod of the Deployment).
    const identity = actionObjectKey(decision, located.target, located.identity ?? located.target.key);
    const recent = await deps.ledger.countForTargetSince(identity, since);
    const cap = deps.policy.caps.actionsPerTargetPerHour;
    if (recent >= cap) {
      return block({
        status: "escalated",
        reason: `action_blocked_by_policy: ${recent} action(s) on ${identity} in the last hour (cap ${cap})`,
      });
    }
    const service = incident.alerts.find((a) => a.labels.service)?.labels.service;
    const policyMode = effectiveMode(deps.policy, deps.settings.mode, decision.action, target, service);
    const steered = deps.autonomy
      ? await deps.autonomy.steer({ mode: policyMode, action: decision.action, target: target.key, service })
      : { mode: policyMode, reasons: [] };
    if (steered.mode === "blocked") {
      return block({
        status: "escalated",
        reason: `action_blocked_by_policy: ${steered.reasons.join("; ")}`,
      });
    }
    for (const why of steered.reasons)
      await deps.incidents.appendTimeline(incident.id, { step: "guard", message: why });
    // The plausibility check may ask for a person where the policy would act alone (never the other way round).
    const mode = steered.mode === "auto" && state.needsApproval ? "approve" : steered.mode;
    const risk = ACTION_RISK[decision.action];
    if (mode === "advise") {
      return block({
        status: "advised",
        reason: `advise mode: recommend ${decision.action} on ${decision.target} (${risk} risk); nothing was changed`,
      });
    }
    const reason =
      mode === "approve"
        ? state.approvedBy
          ? `${decision.action} (${risk} risk) approved by ${state.approvedBy}; still allowed after the wait`
          : `${decision.action} (${risk} risk) needs approval${policyMode === "auto" ? `: ${state.needsApproval}` : ""}`
        : `${decision.action} (${risk} risk) allowed in auto mode`;
    await deps.incidents.appendTimeline(incident.id, { step: "guard", message: reason });
    return { verdict: { allowed: true, mode, reason } };
  };
}
