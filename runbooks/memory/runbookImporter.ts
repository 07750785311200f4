import type { ActionId } from "../../core/catalog.ts";
import { joinWords } from "./entryRows.ts";
import type { FixRecord, RecordResult } from "./fixMemory.ts";
import { sha, type MemoryStore } from "./memoryStore.ts";
import type { Runbook } from "./runbookParser.ts";

/** What an import did. */
export interface ImportResult {
  added: string[];
  updated: string[];
  unchanged: string[];
}

/** Chunks of a runbook: one per section, each led by the runbook's id and title so it stands alone. */
export function runbookChunks(rb: Runbook): Array<{ section: string; text: string }> {
  const head = `${rb.title} (${rb.id}). Signals: ${rb.signals.join(", ")}.${rb.alerts.length ? ` Alerts: ${rb.alerts.join(", ")}.` : ""}`;
  const sections = rb.sections.map((s) => ({ section: s.heading, text: `${head}\n${s.heading}: ${s.text}` }));
  // The whole runbook as one more chunk: a match spread over several sections still scores as one topic.
  const whole = rb.sections.map((s) => `${s.heading}: ${s.text}`).join("\n");
  return [...sections, { section: "Whole runbook", text: `${head}\n${whole}` }];
}

/** Add or update runbooks (unchanged files are skipped: nothing is re-embedded). */
export async function importRunbooks(
  store: MemoryStore,
  runbooks: readonly Runbook[],
  now: string,
): Promise<ImportResult> {
  const result: ImportResult = { added: [], updated: [], unchanged: [] };
  const pending: Array<{ rb: Runbook; hash: string; existing: number | undefined }> = [];
  for (const rb of runbooks) {
    const hash = sha(rb.markdown);
    const row = store.entryByKey(rb.id);
    if (row?.content_hash === hash) result.unchanged.push(rb.id);
    else pending.push({ rb, hash, existing: row?.id });
  }
  const chunkTexts = pending.map(({ rb }) => runbookChunks(rb));
  const vectors = await store.embedder.embed(chunkTexts.flat().map((c) => c.text));
  let v = 0;
  store.transaction(() => {
    pending.forEach(({ rb, hash, existing }, i) => {
      const fields = {
        kind: "runbook" as const,
        scenario: rb.id,
        title: rb.title,
        actions_json: JSON.stringify(rb.actions),
        alert_names: joinWords(rb.alerts),
        services: "",
        signals: joinWords(rb.signals),
        target_kinds: joinWords(rb.platforms),
        source: rb.file,
        content: rb.markdown,
        content_hash: hash,
      };
      let id: number;
      if (existing !== undefined) {
        store.deleteChunks(existing);
        store.updateRunbookEntry(existing, fields, now);
        id = existing;
        result.updated.push(rb.id);
      } else {
        id = store.insertEntry(rb.id, fields, now);
        result.added.push(rb.id);
      }
      for (const chunk of chunkTexts[i]!) store.insertChunk(id, chunk.section, chunk.text, vectors[v++]!);
    });
  });
  return result;
}

/**
 * Bring in the fixes the first fix store kept (`learned_fixes`: symptom signatures only), once per
 * database, through `record`. Returns how many rows were brought in.
 */
export async function importLegacyFixes(
  store: MemoryStore,
  record: (fix: FixRecord) => Promise<RecordResult>,
): Promise<number> {
  if (store.meta().legacy_fixes_imported) return 0;
  const rows = store.db
    .prepare(
      "SELECT incident_id, signature, family, action, outcome, target_kind FROM learned_fixes ORDER BY id",
    )
    .all() as Array<{
    incident_id: string;
    signature: string;
    family: string | null;
    action: ActionId;
    outcome: "verified" | "failed";
    target_kind: string;
  }>;
  for (const r of rows) {
    const signature = JSON.parse(r.signature) as string[];
    await record({
      incidentId: r.incident_id,
      signature,
      family: r.family,
      action: r.action,
      outcome: r.outcome,
      targetKind: r.target_kind,
      text: signature.map((t) => t.replace(/_/g, " ")).join("\n"),
    });
  }
  store.setMeta("legacy_fixes_imported", new Date().toISOString());
  return rows.length;
}
