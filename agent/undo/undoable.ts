import type { ActionId } from "../../core/catalog.ts";
import { isTerminal, undoOf, type ActionRecord, type Incident } from "../../core/types.ts";
import { KUBE_ACTIONS } from "../platforms/kubernetes/actions/index.ts";

/** Docker's actions with something to put back (a restart or a kill leaves nothing to revert). */
const DOCKER_UNDOABLE: ReadonlySet<ActionId> = new Set(["scale_service"]);

/** Whether a person's undo of this action can put anything back (the Kubernetes action objects say which). */
export function canUndo(action: ActionId): boolean {
  const kube = KUBE_ACTIONS[action];
  return kube ? kube.undo.kind !== "none" : DOCKER_UNDOABLE.has(action);
}

/** Where a finished incident stands with a person's undo: what can be undone, and what became of undos asked. */
export interface UndoState {
  /** The last action the agent sent (the one an undo reverts), if any. */
  action: ActionRecord | undefined;
  /** Undo records of that action, oldest first. */
  undos: ActionRecord[];
  /** True when a person may ask now: finished, something with an undo was sent, not undone yet. */
  offered: boolean;
}

/** Read an incident's undo state from its ledger records. */
export function undoState(incident: Incident): UndoState {
  const action = [...incident.actions].reverse().find((a) => a.state === "sent" && undoOf(a) === undefined);
  const undos = action ? incident.actions.filter((a) => undoOf(a) === action.key) : [];
  const offered =
    action !== undefined &&
    isTerminal(incident.status) &&
    canUndo(action.action) &&
    // A pending undo is one running now or one a crash left in doubt: the button stays, and the answer says which.
    !undos.some((u) => u.state === "sent");
  return { action, undos, offered };
}
