import { PREDICTIONS_MIGRATION } from "../predictionsMigration.ts";

/**
 * PostgreSQL schema migrations: the same versions, tables and meaning as the SQLite ones (store/migrations.ts),
 * in PostgreSQL's dialect. Append only: never edit one that has shipped. Versions from 1001 exist only here.
 */
export const PG_MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
CREATE TABLE incidents (
  id TEXT PRIMARY KEY,
  seq BIGINT GENERATED ALWAYS AS IDENTITY,
  status TEXT NOT NULL,
  status_reason TEXT,
  target_key TEXT NOT NULL,
  target_json TEXT NOT NULL,
  evidence_json TEXT,
  decision_json TEXT,
  verification_json TEXT,
  received_at TEXT NOT NULL,
  decided_at TEXT,
  acted_at TEXT,
  verified_at TEXT,
  resolved_at TEXT,
  updated_at TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX incidents_one_active_per_target ON incidents(target_key) WHERE active = 1;
CREATE INDEX incidents_status ON incidents(status, received_at);
CREATE INDEX incidents_received ON incidents(received_at);

CREATE TABLE alerts (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id TEXT NOT NULL REFERENCES incidents(id),
  fingerprint TEXT NOT NULL,
  status TEXT NOT NULL,
  starts_at TEXT NOT NULL,
  ends_at TEXT NOT NULL,
  labels_json TEXT NOT NULL,
  annotations_json TEXT NOT NULL,
  generator_url TEXT NOT NULL,
  received_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  notifications INTEGER NOT NULL DEFAULT 1,
  UNIQUE (fingerprint, starts_at, status)
);
CREATE INDEX alerts_incident ON alerts(incident_id);

CREATE TABLE timeline (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id TEXT NOT NULL REFERENCES incidents(id),
  at TEXT NOT NULL,
  step TEXT NOT NULL,
  message TEXT NOT NULL,
  data_json TEXT
);
CREATE INDEX timeline_incident ON timeline(incident_id, id);

CREATE TABLE actions (
  key TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL REFERENCES incidents(id),
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  target_key TEXT NOT NULL,
  params_json TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  state TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  completed_at TEXT,
  result_json TEXT,
  error TEXT
);
CREATE INDEX actions_incident ON actions(incident_id);
CREATE INDEX actions_target_time ON actions(target_key, requested_at);

CREATE TABLE learned_fixes (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id TEXT NOT NULL,
  signature TEXT NOT NULL,
  family TEXT,
  action TEXT NOT NULL,
  outcome TEXT NOT NULL,
  target_kind TEXT NOT NULL,
  recorded_at TEXT NOT NULL
);
`,
  },
  {
    version: 2,
    // The runbook memory (version 2 in SQLite) stays in each replica's own SQLite file for now: sqlite-vec and
    // FTS5 have no PostgreSQL counterpart here yet. The version is kept so both stores number alike.
    sql: `SELECT 1;`,
  },
  {
    version: 3,
    sql: `
ALTER TABLE incidents ADD COLUMN object_key TEXT;
ALTER TABLE incidents ADD COLUMN unfinished_runs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN alerts_dropped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN timeline_dropped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN alert_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN timeline_count INTEGER NOT NULL DEFAULT 0;
UPDATE incidents SET alert_count = (SELECT COUNT(*) FROM alerts a WHERE a.incident_id = incidents.id),
  timeline_count = (SELECT COUNT(*) FROM timeline t WHERE t.incident_id = incidents.id);
CREATE UNIQUE INDEX incidents_one_active_per_object ON incidents(object_key)
  WHERE active = 1 AND object_key IS NOT NULL;
`,
  },
  {
    version: 4,
    sql: `
CREATE TABLE runtime_settings (
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  value_json TEXT NOT NULL,
  changed_by TEXT NOT NULL,
  changed_at TEXT NOT NULL,
  PRIMARY KEY (kind, key)
);
CREATE TABLE runtime_settings_log (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  value_json TEXT,
  changed_by TEXT NOT NULL,
  changed_at TEXT NOT NULL
);
`,
  },
  {
    version: 5,
    sql: `CREATE TABLE health_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL);`,
  },
  {
    version: 1001,
    // PostgreSQL only: the work queue shared by replicas. One row per incident the agent must run; a replica
    // claims a row (FOR UPDATE SKIP LOCKED) for a lease it renews while it works; a lapsed lease is taken over.
    sql: `
CREATE TABLE work_queue (
  incident_id TEXT PRIMARY KEY REFERENCES incidents(id),
  enqueued_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  available_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  owner TEXT,
  lease_until TIMESTAMPTZ,
  attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX work_queue_available ON work_queue(available_at);
`,
  },
  // The predictive watcher's predictions: the same plain SQL as SQLite's migration 6.
  PREDICTIONS_MIGRATION,
];
