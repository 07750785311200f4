import type { ActionId } from "../core/catalog.ts";
import type { ActionRecord } from "../core/types.ts";
import type { Db } from "./db.ts";
import { toActionRecord as toRecord, type ActionRow as Row } from "./incidentRows.ts";

/** A new action intent, written before the action is sent. */
export interface ActionIntent {
  key: string;
  incidentId: string;
  action: ActionId;
  target: string;
  targetKey: string;
  params: Record<string, unknown>;
  attempt: number;
  requestedAt: string;
}

/** How an action ended: sent, failed, or skipped, with the platform's result or the error. */
export interface ActionOutcome {
  state: "sent" | "failed" | "skipped";
  result?: Record<string, unknown>;
  error?: string;
}

/** The values of a new intent's row, in the column order both stores insert them (key ... requested_at). */
export function intentValues(intent: ActionIntent): unknown[] {
  return [
    intent.key,
    intent.incidentId,
    intent.action,
    intent.target,
    intent.targetKey,
    JSON.stringify(intent.params),
    intent.attempt,
    intent.requestedAt,
  ];
}

/** The values of a completion, in the order both stores set them (state, completed_at, result_json, error, key). */
export function outcomeValues(key: string, outcome: ActionOutcome): unknown[] {
  return [
    outcome.state,
    new Date().toISOString(),
    outcome.result ? JSON.stringify(outcome.result) : null,
    outcome.error ?? null,
    key,
  ];
}

/**
 * The idempotency ledger: every action is recorded under its key (incident id + step) before it is sent,
 * and marked when it completes, so a re-run after a crash can tell what already happened.
 */
export interface ActionLedger {
  get(key: string): Promise<ActionRecord | undefined>;
  /** Record the intent; returns the existing record if the key was already recorded. */
  begin(intent: ActionIntent): Promise<ActionRecord>;
  complete(key: string, outcome: ActionOutcome): Promise<void>;
  /** Actions sent (or possibly sent) to a target since a time: the per-hour cap counts these. */
  countForTargetSince(targetKey: string, sinceIso: string): Promise<number>;
  /**
   * Actions of other incidents sent (or possibly sent) to the same object after the action under `key`, oldest
   * first: what a person's undo of that action would revert along with it.
   */
  laterOnSameTarget(key: string): Promise<LaterAction[]>;
  /** The object key the action under `key` was recorded against (what caps and laterOnSameTarget compare). */
  targetKeyOf(key: string): Promise<string | undefined>;
}

/** An action recorded on the same object by another incident (ActionLedger.laterOnSameTarget). */
export type LaterAction = ActionRecord & { incidentId: string };

/** The ledger query behind laterOnSameTarget (the same text on both stores, placeholders aside). */
export const LATER_ON_SAME_TARGET = `SELECT b.* FROM actions a JOIN actions b
  ON b.target_key = a.target_key AND b.incident_id <> a.incident_id AND b.requested_at > a.requested_at
  WHERE a.key = ? AND b.state IN ('pending', 'sent') ORDER BY b.requested_at, b.key`;

/** SQLite implementation of ActionLedger. */
export class SqliteActionLedger implements ActionLedger {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      get: db.prepare("SELECT * FROM actions WHERE key = ?"),
      begin: db.prepare(
        `INSERT INTO actions (key, incident_id, action, target, target_key, params_json, attempt, state, requested_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT(key) DO NOTHING`,
      ),
      complete: db.prepare(
        "UPDATE actions SET state = ?, completed_at = ?, result_json = ?, error = ? WHERE key = ?",
      ),
      later: db.prepare(LATER_ON_SAME_TARGET),
      targetKeyOf: db.prepare("SELECT target_key FROM actions WHERE key = ?"),
      countSince: db.prepare(
        "SELECT COUNT(*) AS n FROM actions WHERE target_key = ? AND requested_at >= ? AND state IN ('pending', 'sent')",
      ),
    };
  }

  async get(key: string): Promise<ActionRecord | undefined> {
    const row = this.stmts.get.get(key) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  async begin(intent: ActionIntent): Promise<ActionRecord> {
    this.stmts.begin.run(...intentValues(intent));
    return toRecord(this.stmts.get.get(intent.key) as Row);
  }

  async complete(key: string, outcome: ActionOutcome): Promise<void> {
    this.stmts.complete.run(...outcomeValues(key, outcome));
  }

  async countForTargetSince(targetKey: string, sinceIso: string): Promise<number> {
    return (this.stmts.countSince.get(targetKey, sinceIso) as { n: number }).n;
  }

  async laterOnSameTarget(key: string): Promise<LaterAction[]> {
    return (this.stmts.later.all(key) as Array<Row & { incident_id: string }>).map((r) => ({
      ...toRecord(r),
      incidentId: r.incident_id,
    }));
  }

  async targetKeyOf(key: string): Promise<string | undefined> {
    return (this.stmts.targetKeyOf.get(key) as { target_key: string } | undefined)?.target_key;
  }
}
