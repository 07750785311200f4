import type { PastFix } from "../../runbooks/memory/fixMemory.ts";

/** At most this many recalled entries go to the model. */
const MAX_ENTRIES = 5;

/**
 * What the LLM planner receives as the result of its `recall_runbook_memory` tool: the top recalled entries,
 * each with its action and verified outcomes, past fixes of similar incidents before runbook advice. JSON,
 * so the model reads fields rather than prose; it only informs a Decision the guard still checks.
 */
export function recallToolResult(recalled: readonly PastFix[]): string {
  const ranked = [...recalled].sort(
    (a, b) =>
      Number(b.source !== "runbook") - Number(a.source !== "runbook") ||
      (b.evidence ?? 0) * b.similarity - (a.evidence ?? 0) * a.similarity ||
      b.similarity - a.similarity,
  );
  return JSON.stringify({
    entries: ranked.slice(0, MAX_ENTRIES).map((f) => ({
      source: f.source ?? "incident",
      action: f.action,
      family: f.family ?? null,
      similarity: round(f.similarity),
      ...(f.source === "runbook"
        ? { note: "recommended by the human-written runbook; not yet verified by an incident" }
        : {
            verified: f.verified,
            failed: f.failed,
            net_evidence: round(f.evidence ?? (f.verified - f.failed) / Math.max(1, f.verified + f.failed)),
          }),
      refs: f.refs ?? [],
    })),
  });
}

const round = (n: number) => Math.round(n * 100) / 100;
