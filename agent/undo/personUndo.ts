import { isTerminal, type ActionRecord } from "../../core/types.ts";
import { describeError, type UndoRefusalCode } from "../../core/errors.ts";
import type { IncidentRepository } from "../../store/incidentRepository.ts";
import { platformFor, type Platform } from "../platforms/platform.ts";

/** What became of a person's undo: done or not (with why, in plain words), or refused before anything ran. */
export type UndoOutcome =
  | { kind: "done"; action: ActionRecord["action"]; undone: boolean; detail: string }
  | {
      kind: "refused";
      code: UndoRefusalCode;
      message: string;
    };

/** The timeline step an undo writes; a second undo of the same incident reads it and refuses. */
export const UNDO_STEP = "undo";
const UNDONE = "undone: ";

/**
 * A person asks to undo what the agent sent for an incident: the last action sent is undone through its
 * action object's undo (Platform.undo), once. Refused while the agent still works on the incident, when
 * nothing was sent, or when it was undone already. Each request and its outcome go on the timeline.
 */
export function createPersonUndo(deps: { incidents: IncidentRepository; platforms: Platform[] }) {
  const running = new Set<string>();

  // Under the incident's exclusive section (a PostgreSQL advisory lock across replicas), so two replicas asked at
  // once cannot both read "not undone yet" and both send the undo.
  return (id: string, by: string): Promise<UndoOutcome> =>
    deps.incidents.exclusively(id, () => undoOnce(id, by));

  async function undoOnce(id: string, by: string): Promise<UndoOutcome> {
    const incident = await deps.incidents.get(id);
    if (!incident)
      return { kind: "refused", code: "not_found", message: `no incident with id ${JSON.stringify(id)}` };
    if (!isTerminal(incident.status))
      return {
        kind: "refused",
        code: "incident_active",
        message: `incident ${id} is ${incident.status}: the agent still works on it; undo once it has finished`,
      };
    const record = [...incident.actions].reverse().find((a) => a.state === "sent");
    if (!record)
      return { kind: "refused", code: "nothing_sent", message: `incident ${id} sent no action to undo` };
    if (
      running.has(id) ||
      incident.timeline.some((e) => e.step === UNDO_STEP && e.message.startsWith(UNDONE))
    )
      return {
        kind: "refused",
        code: "already_undone",
        message: `${record.action} of incident ${id} is already undone (or being undone)`,
      };
    running.add(id);
    try {
      const target = incident.decision?.actsOn ?? incident.target;
      const platform = platformFor(deps.platforms, target);
      await deps.incidents.appendTimeline(id, {
        step: UNDO_STEP,
        message: `${by} asked to undo ${record.action}`,
      });
      let result: { rolledBack: boolean; detail: string };
      try {
        result = platform?.undo
          ? await platform.undo(record, target)
          : { rolledBack: false, detail: `no platform here can undo ${record.action} on ${target.key}` };
      } catch (err) {
        result = { rolledBack: false, detail: `the undo failed: ${describeError(err)}` };
      }
      await deps.incidents.appendTimeline(id, {
        step: UNDO_STEP,
        message: result.rolledBack ? `${UNDONE}${result.detail}` : `not undone: ${result.detail}`,
        data: { action: record.action, by, undone: result.rolledBack },
      });
      return { kind: "done", action: record.action, undone: result.rolledBack, detail: result.detail };
    } finally {
      running.delete(id);
    }
  }
}

export type PersonUndo = ReturnType<typeof createPersonUndo>;
