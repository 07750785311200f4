import { randomUUID } from "node:crypto";
import { describeError, type UndoRefusalCode } from "../../core/errors.ts";
import { isTerminal, undoOf, type ActionRecord, type Incident } from "../../core/types.ts";
import type { ActionLedger } from "../../store/actionLedger.ts";
import type { IncidentRepository } from "../../store/incidentRepository.ts";
import { actionObjectKey } from "../planners/actionObject.ts";
import { platformFor, type Platform } from "../platforms/platform.ts";

/** Who asks for an undo, from where, and whether they confirmed it over a warning. */
export interface UndoRequest {
  /** A person's name (or "api"): recorded in the ledger and on the timeline. */
  by: string;
  via: "api" | "slack" | "dashboard";
  /**
   * Undo even though a newer incident acted on the object since, or the object changed since the action, or an
   * earlier undo never recorded its result: the person looked and takes that on.
   */
  confirm?: boolean;
}

/** What became of a person's undo: done or not (with why, in plain words), or refused before anything ran. */
export type UndoOutcome =
  | {
      kind: "done";
      action: ActionRecord["action"];
      undone: boolean;
      /** What the ledger recorded: sent (undone), skipped (nothing to put back), failed (the platform erred). */
      state: "sent" | "skipped" | "failed";
      detail: string;
      key: string;
    }
  | {
      kind: "refused";
      code: UndoRefusalCode;
      message: string;
      /** True when asking again with `confirm` runs it anyway (the warning is the whole reason). */
      confirmable: boolean;
      /** The action it would have undone, when the refusal came after finding it. */
      action?: ActionRecord["action"];
    };

/** One person's undo as `/metrics` counts it (aegis_undo_total). */
export interface UndoCount {
  /** The catalog action undone, or "none" when refused before one was found (unknown incident, nothing sent). */
  action: string;
  result: "sent" | "skipped" | "failed" | "refused";
  via: UndoRequest["via"];
}

/** The timeline step an undo writes. */
export const UNDO_STEP = "undo";

export interface PersonUndoDeps {
  incidents: IncidentRepository;
  ledger: ActionLedger;
  platforms: Platform[];
  /** Told after each undo that ran (Slack updates the incident's message); a failure here changes nothing. */
  undone?: (incident: Incident) => Promise<void>;
  /** Told of every undo asked, whatever became of it (the metrics count it). */
  counted?: (count: UndoCount) => void;
}

const refused = (
  code: UndoRefusalCode,
  message: string,
  confirmable = false,
  action?: ActionRecord["action"],
): UndoOutcome => ({
  kind: "refused",
  code,
  message,
  confirmable,
  ...(action ? { action } : {}),
});

const countOf = (outcome: UndoOutcome, via: UndoRequest["via"]): UndoCount => ({
  action: outcome.action ?? "none",
  result: outcome.kind === "done" ? outcome.state : "refused",
  via,
});

/**
 * A person asks to undo what the agent sent for an incident: the last action sent is undone through its action
 * object's undo (Platform.undo). The undo goes through the action ledger like any action: recorded under its own
 * idempotency key (the action's key + `:undo:N`) with who asked before it is sent, and completed with its result,
 * so a double click, two replicas or a retry after a crash never send it twice. Refused while the agent still
 * works on the incident, when nothing was sent, or when it was undone already; refused unless confirmed when a
 * newer incident acted on the same object since, or the object changed since in a way the undo would overwrite.
 */
export function createPersonUndo(deps: PersonUndoDeps) {
  const running = new Set<string>();

  // Under the incident's exclusive section (a PostgreSQL advisory lock across replicas): two replicas asked at
  // once do not both get past the checks. The ledger's unique key is the last word either way.
  return async (id: string, request: UndoRequest): Promise<UndoOutcome> => {
    const outcome = await deps.incidents.exclusively(id, () => undoOnce(id, request));
    deps.counted?.(countOf(outcome, request.via));
    return outcome;
  };

  async function undoOnce(id: string, request: UndoRequest): Promise<UndoOutcome> {
    const incident = await deps.incidents.get(id);
    if (!incident) return refused("not_found", `no incident with id ${JSON.stringify(id)}`);
    if (!isTerminal(incident.status))
      return refused(
        "incident_active",
        `incident ${id} is ${incident.status}: the agent still works on it; undo once it has finished`,
      );
    const record = [...incident.actions].reverse().find((a) => a.state === "sent" && undoOf(a) === undefined);
    if (!record) return refused("nothing_sent", `incident ${id} sent no action to undo`);
    const earlier = incident.actions.filter((a) => undoOf(a) === record.key);
    const done = earlier.find((a) => a.state === "sent");
    if (done || running.has(record.key))
      return refused(
        "already_undone",
        done
          ? `${record.action} of incident ${id} was already undone by ${String(done.params.by)} at ${done.requestedAt}`
          : `${record.action} of incident ${id} is being undone now`,
        false,
        record.action,
      );
    const target = incident.decision?.actsOn ?? incident.target;
    const platform = platformFor(deps.platforms, target);
    const warnings: Array<{ code: UndoRefusalCode; why: string }> = [];
    // Under the exclusive section nobody else runs an undo of this incident: a pending one is from a process
    // that stopped while sending it. Whether it reached the object is unknown.
    const inDoubt = earlier.find((a) => a.state === "pending");
    if (inDoubt)
      warnings.push({
        code: "undo_in_doubt",
        why: `an undo asked by ${String(inDoubt.params.by)} at ${inDoubt.requestedAt} never recorded its result (AegisOps stopped while sending it); look at ${target.key} before undoing again`,
      });
    for (const later of await deps.ledger.laterOnSameTarget(record.key))
      warnings.push({
        code: "newer_action",
        why:
          `incident ${later.incidentId} ${undoOf(later) ? "undid" : "sent"} ${later.action} on ${later.target} at ${later.requestedAt}, ` +
          `after this ${record.action}: undoing it now would revert that incident's change too`,
      });
    // An incident working on the same object now would act or verify on top of the undo: the same object whatever
    // its alert called it (a pod of the Deployment the action changed, the Deployment itself).
    const recordedKey = await deps.ledger.targetKeyOf(record.key);
    const ours = new Set([target.key, ...(recordedKey ? [recordedKey] : [])]);
    for (const other of await deps.incidents.listUnfinished()) {
      if (other === id) continue;
      const busy = await deps.incidents.get(other);
      const on = busy && (busy.decision?.actsOn ?? busy.target);
      const acted = busy?.decision && on ? actionObjectKey(busy.decision, on, on.key) : undefined;
      if (busy && on && (ours.has(on.key) || (acted !== undefined && ours.has(acted))))
        warnings.push({
          code: "object_busy",
          why: `incident ${other} is working on ${target.key} now (${busy.status}): an undo under it would change what it investigates, acts on or verifies`,
        });
    }
    // Not knowing whether the object moved on is itself a reason to look first.
    const changed = await platform
      ?.undoConflict?.(record, target)
      .catch(
        (err: unknown) =>
          `could not read ${target.key} to see whether it changed since: ${describeError(err)}`,
      );
    if (changed) warnings.push({ code: "changed_since", why: changed });
    const first = warnings[0];
    if (first && request.confirm !== true)
      return refused(
        first.code,
        `${warnings.map((w) => w.why).join("; ")}. Ask again with confirm to undo anyway`,
        true,
        record.action,
      );

    running.add(record.key);
    try {
      if (inDoubt)
        await deps.ledger.complete(inDoubt.key, {
          state: "failed",
          error: `interrupted: ${request.by} confirmed a new undo without its result`,
        });
      const key = `${record.key}:undo:${earlier.length + 1}`;
      const token = randomUUID();
      const begun = await deps.ledger.begin({
        key,
        incidentId: id,
        action: record.action,
        target: record.target,
        targetKey: recordedKey ?? target.key,
        params: {
          undoOf: record.key,
          by: request.by,
          via: request.via,
          request: token,
          ...(first ? { confirmedOver: warnings.map((w) => w.code) } : {}),
        },
        attempt: record.attempt,
        requestedAt: new Date().toISOString(),
      });
      // The key was begun by someone else (another replica between our read and our write): theirs runs.
      if (begun.params.request !== token)
        return refused(
          "already_undone",
          `${record.action} of incident ${id} is being undone by ${String(begun.params.by)} (asked at ${begun.requestedAt})`,
          false,
          record.action,
        );
      await deps.incidents.appendTimeline(id, {
        step: UNDO_STEP,
        message: `${request.by} asked to undo ${record.action}${first ? ` (confirmed over: ${warnings.map((w) => w.why).join("; ")})` : ""}`,
        data: { key, by: request.by, via: request.via },
      });
      let result: { rolledBack: boolean; detail: string };
      let state: "sent" | "skipped" | "failed";
      try {
        result = platform?.undo
          ? await platform.undo(record, target)
          : { rolledBack: false, detail: `no platform here can undo ${record.action} on ${target.key}` };
        state = result.rolledBack ? "sent" : "skipped";
        await deps.ledger.complete(key, {
          state,
          result: { undone: result.rolledBack, detail: result.detail },
        });
      } catch (err) {
        const reason = describeError(err);
        await deps.ledger.complete(key, { state: "failed", error: reason });
        result = { rolledBack: false, detail: `the undo failed: ${reason}` };
        state = "failed";
      }
      await deps.incidents.appendTimeline(id, {
        step: UNDO_STEP,
        message: result.rolledBack ? `undone: ${result.detail}` : `not undone: ${result.detail}`,
        data: { key, action: record.action, by: request.by, via: request.via, undone: result.rolledBack },
      });
      await tell(id);
      return {
        kind: "done",
        action: record.action,
        undone: result.rolledBack,
        state,
        detail: result.detail,
        key,
      };
    } finally {
      running.delete(record.key);
    }
  }

  async function tell(id: string): Promise<void> {
    const after = await deps.incidents.get(id);
    if (after && deps.undone) await deps.undone(after).catch(() => undefined);
  }
}

export type PersonUndo = ReturnType<typeof createPersonUndo>;
