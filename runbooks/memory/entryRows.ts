/** Rows of the runbook memory's tables as SQLite returns them, shared by the store and the ranker. */

/** A row of `memory_entries`. */
export interface EntryRow {
  id: number;
  key: string;
  kind: "runbook" | "incident";
  scenario: string | null;
  title: string;
  actions_json: string;
  alert_names: string;
  services: string;
  signals: string;
  target_kinds: string;
  source: string | null;
  content: string;
  created_at: string;
  updated_at: string;
}

/** A row of `memory_outcomes`. */
export interface OutcomeRow {
  entry_id: number;
  incident_id: string;
  action: string;
  outcome: "verified" | "failed";
  recorded_at: string;
  verification_json: string | null;
}

/** A chunk found by the vector index (cosine distance) or the full-text index (bm25, negative). */
export interface VectorCandidate {
  id: number;
  distance: number;
}
export interface TextCandidate {
  id: number;
  s: number;
}

/** The memory's words columns hold lower-case, space-separated, de-duplicated words. */
export const words = (s: string) => s.split(" ").filter(Boolean);
export const joinWords = (xs: readonly string[] | undefined) =>
  [...new Set((xs ?? []).map((x) => x.toLowerCase().replace(/\s+/g, "_")))].join(" ");
