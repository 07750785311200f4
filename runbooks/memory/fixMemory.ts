import type { ActionId } from "../../core/catalog.ts";

/** One outcome of an action on an incident, reported by the `learn` step after verification. */
export interface FixRecord {
  incidentId: string;
  /** Discrete symptom tokens, e.g. ["memory_growth", "health_ok"]. */
  signature: string[];
  family: string | null;
  action: ActionId;
  outcome: "verified" | "failed";
  targetKind: string;
  /** What the incident looked like (alerts, signals, log lines): what later incidents are matched against. */
  text?: string;
  alertNames?: string[];
  services?: string[];
  /** What verification saw, one line per check. */
  verification?: string[];
}

/** What the memory did with a record. */
export interface RecordResult {
  /** Key of the memory entry the outcome was added to. */
  entry: string;
  /** True when the outcome joined an existing similar entry instead of making a new one. */
  merged: boolean;
}

/** What to recall by: built from an incident, or typed by a person. */
export interface RecallQuery {
  text: string;
  alertNames?: string[];
  services?: string[];
  targetKind?: string;
  signals?: string[];
}

/** One ranked memory entry (a runbook or a remembered incident) with why it came back. */
export interface MemoryHit {
  key: string;
  kind: "runbook" | "incident";
  title: string;
  /** Failure family (the runbook's id, or the family the incident was diagnosed as). */
  scenario: string | null;
  score: number;
  /** Best cosine similarity between the query and one of the entry's chunks (0..1). */
  similarity: number;
  reasons: string[];
  /** Runbook: recommended actions, most common first. Incident: the action taken. */
  actions: ActionId[];
  /** Incident entries: outcomes, raw and decayed by age. */
  verified: number;
  failed: number;
  /** Net decayed evidence in [-1, 1]: +1 all recent outcomes verified, -1 all failed. */
  evidence: number;
  /** Section of the best-matching chunk. */
  section: string | null;
}

/** Past outcomes for similar incidents (or a runbook's recommendation), aggregated per action. */
export interface PastFix {
  action: ActionId;
  verified: number;
  failed: number;
  /** Best similarity (0..1) between the query and a remembered incident (or runbook) for this action. */
  similarity: number;
  /** `incident`: verified/failed outcomes of similar incidents. `runbook`: the static recommendation. */
  source?: "incident" | "runbook";
  /** Decayed net evidence in [-1, 1]; absent: (verified - failed) / total. */
  evidence?: number;
  family?: string | null;
  /** Memory entry keys this came from. */
  refs?: string[];
}

/** What recall returns: the ranked entries and, per action, what they say about it. */
export interface Recollection {
  hits: MemoryHit[];
  fixes: PastFix[];
}

/**
 * Runbook memory: runbooks and verified incident fixes, recalled by similarity to an incident. Failed fixes
 * are kept as negative evidence.
 */
export interface FixMemory {
  record(fix: FixRecord): Promise<RecordResult>;
  recall(query: RecallQuery, limit?: number): Promise<Recollection>;
}
