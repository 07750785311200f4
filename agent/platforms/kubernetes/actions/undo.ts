import type { ActionRecord, Target } from "../../../../core/types.ts";
import type { ActionContext, UndoResult } from "./action.ts";
import { CHANGED_SINCE } from "./changedSince.ts";
import { KUBE_ACTIONS } from "./index.ts";

/**
 * Undo a sent action through its action object's undo. `automatic` (after a failed verification) runs only the
 * undos safe to run unasked; `person` runs any undo the action has. Never throws for "no undo": it says why.
 */
export async function undoAction(
  ctx: ActionContext,
  record: ActionRecord,
  target: Target,
  asked: "automatic" | "person",
): Promise<UndoResult> {
  const action = KUBE_ACTIONS[record.action];
  if (!action) return { rolledBack: false, detail: `${record.action} is not a Kubernetes action` };
  const { undo } = action;
  if (undo.kind === "none") return { rolledBack: false, detail: `${record.action} has no undo: ${undo.why}` };
  if (asked === "automatic" && !undo.automatic)
    return {
      rolledBack: false,
      detail: `${record.action} is not undone unasked (putting the old state back would restore the harm); a person can undo it`,
    };
  return undo.run(ctx, record, target);
}

/**
 * Before a person's undo: what changed on the object since the action that the undo would overwrite (a newer
 * rollout, another replica count), in plain words; undefined when it is as the action left it or the action has
 * no such check.
 */
export async function undoConflict(
  ctx: ActionContext,
  record: ActionRecord,
  target: Target,
): Promise<string | undefined> {
  const action = KUBE_ACTIONS[record.action];
  if (!action || action.undo.kind === "none") return undefined;
  return CHANGED_SINCE[record.action]?.(ctx, record, target);
}
