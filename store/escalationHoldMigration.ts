/**
 * Migration 7: an index for finding the escalated incident of a target that still holds new alerts (see
 * `store/ingestRules.ts`, ESCALATION_HOLD_MS). Plain SQL that PostgreSQL accepts as written.
 */
export const ESCALATION_HOLD_MIGRATION = {
  version: 7,
  sql: `CREATE INDEX incidents_target_status ON incidents(target_key, status, updated_at);`,
};
