import { SEND_ONCE } from "../../core/catalog.ts";
import { AegisError } from "../../core/errors.ts";
import type { Verification } from "../../core/types.ts";
import type { AgentDeps } from "../deps.ts";
import { platformFor } from "../platforms/platform.ts";
import type { IncidentStateType, IncidentStateUpdate } from "../state.ts";
import { actionKey } from "./act.ts";
import { loadIncident } from "./loadIncident.ts";

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Poll fresh evidence until the target is healthy or the deadline passes. Not healthy: retry the action
 * once with back-off where policy allows, else roll back where the action has an undo, and fail.
 */
export function makeVerify(deps: AgentDeps) {
  const sleep = deps.sleep ?? defaultSleep;
  const now = deps.now ?? Date.now;
  return async function verify(state: IncidentStateType): Promise<IncidentStateUpdate> {
    const { decision, target, actedAt } = state;
    const platform = target ? platformFor(deps.platforms, target) : undefined;
    if (!decision || !target || !actedAt || !platform)
      throw new AegisError("internal", "verify reached without an action");
    const incident = await loadIncident(deps, state.incidentId);
    if (incident.status !== "verifying") await deps.incidents.setStatus(incident.id, "verifying", null);

    const timeoutMs = (deps.policy.verification.timeoutSeconds ?? 0) * 1000 || deps.settings.verifyTimeoutMs;
    const deadline = now() + timeoutMs;
    let verification: Verification;
    for (;;) {
      verification = await platform.checkHealth(target, incident.alerts, actedAt, decision);
      if (verification.healthy || now() >= deadline) break;
      await sleep(deps.settings.verifyIntervalMs);
    }
    await deps.incidents.saveVerification(incident.id, verification);
    const failing = verification.evidence.filter((e) => !e.ok).map((e) => `${e.check}: ${e.detail}`);
    if (verification.healthy) {
      await deps.incidents.appendTimeline(incident.id, {
        step: "verify",
        message: `healthy: ${verification.evidence.map((e) => e.check).join(", ")}`,
        data: { evidence: verification.evidence },
      });
      return { verification, outcome: { status: "resolved", reason: "verified healthy after the action" } };
    }

    await deps.incidents.appendTimeline(incident.id, {
      step: "verify",
      message: `not healthy after ${Math.round(timeoutMs / 1000)} s: ${failing.join("; ")}`,
      data: { evidence: verification.evidence },
    });
    const retries = deps.policy.verification.retries;
    if (SEND_ONCE.has(decision.action)) {
      await deps.incidents.appendTimeline(incident.id, {
        step: "verify",
        message: `${decision.action} is sent once: no retry`,
      });
    } else if (state.attempt <= retries) {
      const backoffMs = deps.policy.verification.backoffSeconds * 1000 * state.attempt;
      await deps.incidents.appendTimeline(incident.id, {
        step: "verify",
        message: `retrying ${decision.action} in ${backoffMs / 1000} s (retry ${state.attempt} of ${retries})`,
      });
      await sleep(backoffMs);
      return { verification, attempt: state.attempt + 1 };
    }
    const record = await deps.ledger.get(actionKey(incident.id, state.attempt));
    if (record) {
      const rb = await platform.rollback(record, target);
      await deps.incidents.appendTimeline(incident.id, {
        step: "rollback",
        message: rb.rolledBack ? `rolled back: ${rb.detail}` : `no rollback: ${rb.detail}`,
      });
    }
    return {
      verification,
      outcome: {
        status: "failed",
        reason: `not healthy after ${state.attempt} attempt(s) of ${decision.action}: ${failing.join("; ")}`,
      },
    };
  };
}
