import { PREDICTIONS_MIGRATION } from "./predictionsMigration.ts";

/** Ordered schema migrations. Append only: never edit one that has shipped. */
export const MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
CREATE TABLE incidents (
  id TEXT PRIMARY KEY,
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
-- One open incident per target: enforced by the database, not only by the code.
CREATE UNIQUE INDEX incidents_one_active_per_target ON incidents(target_key) WHERE active = 1;
CREATE INDEX incidents_status ON incidents(status, received_at);
CREATE INDEX incidents_received ON incidents(received_at);

CREATE TABLE alerts (
  id INTEGER PRIMARY KEY,
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
  id INTEGER PRIMARY KEY,
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
  id INTEGER PRIMARY KEY,
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
    // Runbook memory: runbooks and remembered incidents, their chunks (full-text indexed here; vectors live in
    // the sqlite-vec table the memory creates at start-up, sized for the configured embedder) and outcomes.
    sql: `
CREATE TABLE memory_entries (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('runbook', 'incident')),
  scenario TEXT,
  title TEXT NOT NULL,
  actions_json TEXT NOT NULL,
  alert_names TEXT NOT NULL DEFAULT '',
  services TEXT NOT NULL DEFAULT '',
  signals TEXT NOT NULL DEFAULT '',
  target_kinds TEXT NOT NULL DEFAULT '',
  source TEXT,
  content TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX memory_entries_kind ON memory_entries(kind, scenario);

CREATE TABLE memory_chunks (
  id INTEGER PRIMARY KEY,
  entry_id INTEGER NOT NULL REFERENCES memory_entries(id) ON DELETE CASCADE,
  section TEXT NOT NULL,
  text TEXT NOT NULL,
  embedder TEXT,
  dimension INTEGER
);
CREATE INDEX memory_chunks_entry ON memory_chunks(entry_id);

CREATE VIRTUAL TABLE memory_fts USING fts5(text, tokenize = 'porter unicode61');

CREATE TABLE memory_outcomes (
  id INTEGER PRIMARY KEY,
  entry_id INTEGER NOT NULL REFERENCES memory_entries(id) ON DELETE CASCADE,
  incident_id TEXT NOT NULL,
  action TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('verified', 'failed')),
  target_kind TEXT NOT NULL,
  verification_json TEXT,
  recorded_at TEXT NOT NULL,
  UNIQUE (incident_id, action, outcome)
);
CREATE INDEX memory_outcomes_entry ON memory_outcomes(entry_id);

CREATE TABLE memory_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`,
  },
  {
    version: 3,
    // Safety: the resolved object's identity (one active incident per real object, whatever the labels called
    // it), runs started and not finished (a run that kills the process twice is quarantined), and counters of
    // alerts and timeline rows not stored beyond the per-incident bounds.
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
    // Changes people make at run time (a service's mode from Slack, an autonomy switch), each kept with who and
    // when; the log keeps every change so it can be read back and reversed.
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
  id INTEGER PRIMARY KEY,
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
    // /healthz writes (and commits) one row here: a database that cannot write is not healthy.
    sql: `CREATE TABLE health_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL);`,
  },
  PREDICTIONS_MIGRATION,
];
