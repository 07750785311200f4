import type { ActionId } from "../../core/catalog.ts";
import type { Db } from "../../store/db.ts";
import type { FixMemory, FixRecord, PastFix } from "./fixMemory.ts";

/** Jaccard similarity of two token sets. */
export function jaccard(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 1;
  const sa = new Set(a);
  const sb = new Set(b);
  let inter = 0;
  for (const t of sa) if (sb.has(t)) inter++;
  return inter / (sa.size + sb.size - inter);
}

/** Fix memory in SQLite: symptom signatures compared by token overlap. */
export class SqliteFixMemory implements FixMemory {
  constructor(
    private readonly db: Db,
    private readonly minSimilarity = 0.5,
  ) {}

  async record(fix: FixRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO learned_fixes (incident_id, signature, family, action, outcome, target_kind, recorded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        fix.incidentId,
        JSON.stringify([...fix.signature].sort()),
        fix.family,
        fix.action,
        fix.outcome,
        fix.targetKind,
        new Date().toISOString(),
      );
  }

  async recall(signature: string[], targetKind: string, limit = 5): Promise<PastFix[]> {
    // Bounded scan of the newest memories; the vector store replaces this when runbook memory lands.
    const rows = this.db
      .prepare(
        "SELECT signature, action, outcome FROM learned_fixes WHERE target_kind = ? ORDER BY id DESC LIMIT 2000",
      )
      .all(targetKind) as Array<{ signature: string; action: ActionId; outcome: "verified" | "failed" }>;
    const byAction = new Map<ActionId, PastFix>();
    for (const row of rows) {
      const sim = jaccard(signature, JSON.parse(row.signature) as string[]);
      if (sim < this.minSimilarity) continue;
      const fix = byAction.get(row.action) ?? { action: row.action, verified: 0, failed: 0, similarity: 0 };
      if (row.outcome === "verified") fix.verified++;
      else fix.failed++;
      fix.similarity = Math.max(fix.similarity, sim);
      byAction.set(row.action, fix);
    }
    return [...byAction.values()]
      .sort((x, y) => y.similarity - x.similarity || y.verified - x.verified)
      .slice(0, limit);
  }
}
