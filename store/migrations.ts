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
];
