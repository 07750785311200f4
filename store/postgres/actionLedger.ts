import type { ActionRecord } from "../../core/types.ts";
import {
  intentValues,
  LATER_ON_SAME_TARGET,
  outcomeValues,
  type ActionIntent,
  type ActionLedger,
  type ActionOutcome,
  type LaterAction,
} from "../actionLedger.ts";
import { toActionRecord, type ActionRow } from "../incidentRows.ts";
import type { PgPool } from "./pool.ts";

/**
 * PostgreSQL implementation of ActionLedger. The key is the primary key, so of two replicas recording one
 * intent the second gets the first's record back (and sees it was already begun).
 */
export class PgActionLedger implements ActionLedger {
  constructor(private readonly pool: PgPool) {}

  async get(key: string): Promise<ActionRecord | undefined> {
    const { rows } = await this.pool.query<ActionRow>("SELECT * FROM actions WHERE key = $1", [key]);
    return rows[0] ? toActionRecord(rows[0]) : undefined;
  }

  async begin(intent: ActionIntent): Promise<ActionRecord> {
    await this.pool.query(
      `INSERT INTO actions (key, incident_id, action, target, target_key, params_json, attempt, state, requested_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8) ON CONFLICT (key) DO NOTHING`,
      intentValues(intent),
    );
    return (await this.get(intent.key))!;
  }

  async complete(key: string, outcome: ActionOutcome): Promise<void> {
    await this.pool.query(
      "UPDATE actions SET state = $1, completed_at = $2, result_json = $3, error = $4 WHERE key = $5",
      outcomeValues(key, outcome),
    );
  }

  async countForTargetSince(targetKey: string, sinceIso: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT COUNT(*)::int AS n FROM actions WHERE target_key = $1 AND requested_at >= $2
         AND state IN ('pending', 'sent')`,
      [targetKey, sinceIso],
    );
    return rows[0]!.n;
  }

  async laterOnSameTarget(key: string): Promise<LaterAction[]> {
    const { rows } = await this.pool.query<ActionRow & { incident_id: string }>(
      LATER_ON_SAME_TARGET.replace("?", "$1"),
      [key],
    );
    return rows.map((r) => ({ ...toActionRecord(r), incidentId: r.incident_id }));
  }

  async targetKeyOf(key: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ target_key: string }>(
      "SELECT target_key FROM actions WHERE key = $1",
      [key],
    );
    return rows[0]?.target_key;
  }
}
