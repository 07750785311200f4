import { AegisError, describeError } from "../../core/errors.ts";
import type { AgentDeps } from "../deps.ts";
import { actionObjectKey } from "../planners/actionObject.ts";
import { platformFor } from "../platforms/platform.ts";
import type { IncidentStateType, IncidentStateUpdate } from "../state.ts";

/** The idempotency key of an action: incident id + step. */
export function actionKey(incidentId: string, attempt: number): string {
  return `${incidentId}:act:${attempt}`;
}

/**
 * The only node that changes the world. The intent is recorded before the call; on a re-run after a
 * crash, a recorded intent is reconciled with the target's real state instead of being sent again.
 */
export function makeAct(deps: AgentDeps) {
  return async function act(state: IncidentStateType): Promise<IncidentStateUpdate> {
    const { decision, target } = state;
    const platform = target ? platformFor(deps.platforms, target) : undefined;
    if (!decision || !target || !platform) throw new AegisError("internal", "act reached without a decision");
    const id = state.incidentId;
    const key = actionKey(id, state.attempt);
    const timeline = (message: string, data?: Record<string, unknown>) =>
      deps.incidents.appendTimeline(id, { step: "act", message, ...(data ? { data } : {}) });

    const existing = await deps.ledger.get(key);
    if (existing?.state === "sent") return { actedAt: existing.requestedAt };
    if (existing?.state === "failed") {
      return { outcome: { status: "failed", reason: `action_failed: ${existing.error ?? "unknown error"}` } };
    }
    if (existing?.state === "pending") {
      const rec = await platform.reconcile(existing, target);
      if (rec.happened) {
        await deps.ledger.complete(key, { state: "sent", result: { reconciled: true, detail: rec.detail } });
        await deps.incidents.markActed(id, existing.requestedAt);
        await timeline(
          `after a restart: ${decision.action} had already reached the target (${rec.detail}); not sent again`,
        );
        return { actedAt: existing.requestedAt };
      }
      await timeline(
        `after a restart: ${decision.action} had not reached the target (${rec.detail}); sending it now`,
      );
    }

    const record =
      existing ??
      (await deps.ledger.begin({
        key,
        incidentId: id,
        action: decision.action,
        target: decision.target,
        targetKey: actionObjectKey(decision, target, state.identity ?? target.key),
        params: decision.params,
        attempt: state.attempt,
        requestedAt: new Date().toISOString(),
      }));
    await deps.incidents.setStatus(id, "acting", null, {
      step: "act",
      message: `sending ${decision.action} to ${decision.target} (attempt ${state.attempt})`,
    });
    deps.crashHook?.("before_action");
    let result: Record<string, unknown>;
    try {
      result = await platform.execute(decision, target);
    } catch (err) {
      const reason = describeError(err);
      await deps.ledger.complete(key, { state: "failed", error: reason });
      await timeline(`${decision.action} failed: ${reason}`);
      // A refusal that leaves nothing changed and needs a person (e.g. Argo CD owns the rollout) is an escalation.
      if (err instanceof AegisError && err.details?.escalate === true)
        return { outcome: { status: "escalated", reason: `action_refused: ${reason}` } };
      return { outcome: { status: "failed", reason: `action_failed: ${reason}` } };
    }
    deps.crashHook?.("after_action");
    await deps.ledger.complete(key, { state: "sent", result });
    await deps.incidents.markActed(id, record.requestedAt);
    await timeline(`${decision.action} done`, result);
    return { actedAt: record.requestedAt };
  };
}
