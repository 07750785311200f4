import type { ActionId } from "../../core/catalog.ts";

/** One remembered outcome of an action on an incident with a given symptom signature. */
export interface FixRecord {
  incidentId: string;
  /** Discrete symptom tokens, e.g. ["memory_growth", "health_ok"]. */
  signature: string[];
  family: string | null;
  action: ActionId;
  outcome: "verified" | "failed";
  targetKind: string;
}

/** Past fixes for similar symptoms, aggregated per action. */
export interface PastFix {
  action: ActionId;
  verified: number;
  failed: number;
  /** Best similarity (0..1) between the query signature and a remembered one for this action. */
  similarity: number;
}

/**
 * Memory of verified fixes. The runbook-memory work replaces the implementation (vector recall over
 * runbooks and incidents); callers only see this interface.
 */
export interface FixMemory {
  record(fix: FixRecord): Promise<void>;
  recall(signature: string[], targetKind: string, limit?: number): Promise<PastFix[]>;
}
