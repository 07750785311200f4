import type { MemoryHit } from "./fixMemory.ts";
import type { MemoryEntry } from "./runbookMemory.ts";

/** One memory entry in a listing (`aegis runbook list --json`, the dashboard): counts instead of outcomes. */
export function entrySummary(e: MemoryEntry) {
  return {
    id: e.key,
    kind: e.kind,
    title: e.title,
    scenario: e.scenario,
    actions: e.actions,
    verified: e.outcomes.filter((o) => o.outcome === "verified").length,
    failed: e.outcomes.filter((o) => o.outcome === "failed").length,
    updatedAt: e.updatedAt,
    source: e.source,
  };
}

/** One ranked search hit (`aegis runbook search --json`, the dashboard) with why it ranked. */
export function hitSummary(h: MemoryHit) {
  return {
    id: h.key,
    kind: h.kind,
    title: h.title,
    scenario: h.scenario,
    score: h.score,
    reason: h.reasons.join("; "),
    reasons: h.reasons,
    actions: h.actions,
    verified: h.verified,
    failed: h.failed,
    section: h.section,
  };
}
