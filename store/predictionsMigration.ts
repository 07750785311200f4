/**
 * Migration 6: the predictive watcher's predictions, so a restart keeps what was foreseen (the evidence and
 * the forecast chart of a predictive incident). One row per alert fingerprint; plain SQL that PostgreSQL
 * accepts as written.
 */
export const PREDICTIONS_MIGRATION = {
  version: 6,
  sql: `
CREATE TABLE predictions (
  fingerprint TEXT PRIMARY KEY,
  recorded_at TEXT NOT NULL,
  prediction_json TEXT NOT NULL
);
CREATE INDEX predictions_recorded ON predictions(recorded_at);
`,
} as const;
