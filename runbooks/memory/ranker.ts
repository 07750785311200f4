import type { ActionId } from "../../core/catalog.ts";
import type { MemoryHit, PastFix, RecallQuery } from "./fixMemory.ts";
import {
  words,
  type EntryRow,
  type OutcomeRow,
  type TextCandidate,
  type VectorCandidate,
} from "./entryRows.ts";
import { contentTokens } from "./textFeatures.ts";

/**
 * The runbook memory's ranking, pure: no SQL, no clock of its own. The store hands it candidate chunks from
 * the vector and the full-text index and the rows they belong to; it fuses them into scored hits.
 */

/** Tuning of ranking and of how outcomes age. */
export interface RankOptions {
  /** Age at which an outcome counts half (days). */
  halfLifeDays: number;
  /** Incident entries below this similarity do not weigh in on actions. */
  minFixSimilarity: number;
  now: () => Date;
}

/**
 * How much a match in each runbook section counts. Symptoms and the summary describe the failure itself;
 * "Tell it apart from" and "Do not" name look-alikes and other families, so a match there is weaker evidence.
 */
const SECTION_WEIGHT: Record<string, number> = {
  Summary: 1,
  Symptoms: 1,
  "Whole runbook": 0.95,
  "Evidence to gather": 0.85,
  Action: 0.85,
  Verify: 0.75,
  "Tell it apart from": 0.6,
  "Rollback / if it does not work": 0.6,
  "Do not": 0.5,
};
const sectionWeight = (section: string) => SECTION_WEIGHT[section] ?? 1;

/** Weights of the fused score; the exact matches are bonuses on top of the two similarity lists. */
const FUSION = {
  vector: 0.65,
  text: 0.2,
  alert: 0.12,
  service: 0.05,
  targetKind: 0.03,
  signals: 0.1,
} as const;

/** An entry's best chunk in each index. */
export interface EntryMatch {
  vec: number;
  vecSection: string | null;
  text: number;
  textSection: string | null;
}

/** An entry scored on the cheap columns, with why. */
export interface ScoredEntry {
  id: number;
  score: number;
  exact: string[];
  match: EntryMatch;
}

/** Per entry, its best (section-weighted) vector similarity and normalised bm25 among the candidate chunks. */
export function matchEntries(
  vecRows: readonly VectorCandidate[],
  ftsRows: readonly TextCandidate[],
  chunkOf: ReadonlyMap<number, { entry_id: number; section: string }>,
): Map<number, EntryMatch> {
  const perEntry = new Map<number, EntryMatch>();
  const slot = (entryId: number) => {
    let s = perEntry.get(entryId);
    if (!s) perEntry.set(entryId, (s = { vec: 0, vecSection: null, text: 0, textSection: null }));
    return s;
  };
  for (const r of vecRows) {
    const c = chunkOf.get(r.id);
    if (!c) continue;
    const sim = Math.max(0, 1 - r.distance) * sectionWeight(c.section);
    const s = slot(c.entry_id);
    if (sim > s.vec) {
      s.vec = sim;
      s.vecSection = c.section;
    }
  }
  // bm25 is negative (lower is better); scale by the best of this query so it lands in 0..1.
  const best = Math.min(0, ...ftsRows.map((r) => r.s));
  for (const r of ftsRows) {
    const c = chunkOf.get(r.id);
    if (!c || best === 0) continue;
    const norm = (r.s / best) * sectionWeight(c.section);
    const s = slot(c.entry_id);
    if (norm > s.text) {
      s.text = norm;
      s.textSection = c.section;
    }
  }
  return perEntry;
}

/** Fuse similarity with exact matches on alert name, service, target kind and signals; best first. */
export function scoreEntries(
  candidates: ReadonlyArray<Pick<EntryRow, "id" | "alert_names" | "services" | "signals" | "target_kinds">>,
  perEntry: ReadonlyMap<number, EntryMatch>,
  query: RecallQuery,
): ScoredEntry[] {
  const qAlerts = new Set((query.alertNames ?? []).map((a) => a.toLowerCase()));
  const qServices = new Set((query.services ?? []).map((a) => a.toLowerCase()));
  const qSignals = new Set(query.signals ?? []);
  const qKind = query.targetKind?.toLowerCase();

  const scored = candidates.map((e) => {
    const match = perEntry.get(e.id)!;
    const exact: string[] = [];
    let score = FUSION.vector * match.vec + FUSION.text * match.text;
    const alertHit = words(e.alert_names).filter((a) => qAlerts.has(a));
    if (alertHit.length) {
      score += FUSION.alert;
      exact.push(`alert name ${alertHit.join(", ")}`);
    }
    const serviceHit = words(e.services).filter((a) => qServices.has(a));
    if (serviceHit.length) {
      score += FUSION.service;
      exact.push(`service ${serviceHit.join(", ")}`);
    }
    if (qKind && matchesKind(words(e.target_kinds), qKind)) {
      score += FUSION.targetKind;
      exact.push(`target kind ${qKind}`);
    }
    const sigHit = words(e.signals).filter((x) => qSignals.has(x));
    if (sigHit.length) {
      score += (FUSION.signals * sigHit.length) / Math.max(qSignals.size, 1);
      exact.push(`signals ${sigHit.join(", ")}`);
    }
    return { id: e.id, score, exact, match };
  });
  return scored.sort((a, b) => b.score - a.score || a.id - b.id);
}

/** A scored entry as the hit recall returns, with its reasons and (for incidents) its decayed outcomes. */
export function toHit(
  scored: ScoredEntry,
  e: EntryRow,
  outcomes: readonly OutcomeRow[],
  qTokens: ReadonlySet<string>,
  opts: RankOptions,
): MemoryHit {
  const { score, exact, match: s } = scored;
  const reasons: string[] = [];
  if (s.vec > 0) reasons.push(`vector similarity ${s.vec.toFixed(2)} (${s.vecSection})`);
  if (s.text > 0) {
    const shared = sharedTerms(qTokens, e.content);
    reasons.push(
      `full-text ${s.text.toFixed(2)} (${s.textSection})${shared.length ? `: ${shared.join(", ")}` : ""}`,
    );
  }
  reasons.push(...exact);
  const actions = JSON.parse(e.actions_json) as ActionId[];
  const o = summarise(outcomes, opts);
  if (e.kind === "incident")
    reasons.push(`past fix ${actions[0]}: ${o.verified} verified, ${o.failed} failed`);
  return {
    key: e.key,
    kind: e.kind,
    title: e.title,
    scenario: e.scenario,
    score: round(score),
    similarity: round(s.vec),
    reasons,
    actions,
    verified: o.verified,
    failed: o.failed,
    evidence: round(o.evidence),
    section: s.vecSection ?? s.textSection,
  };
}

/** Per action, what similar remembered incidents say about it (decayed). */
export function fixesFrom(hits: readonly MemoryHit[], minFixSimilarity: number): PastFix[] {
  const byAction = new Map<ActionId, PastFix & { weight: number }>();
  for (const h of hits) {
    if (h.kind !== "incident" || h.similarity < minFixSimilarity) continue;
    const action = h.actions[0]!;
    const f = byAction.get(action) ?? {
      action,
      verified: 0,
      failed: 0,
      similarity: 0,
      source: "incident" as const,
      evidence: 0,
      family: h.scenario,
      refs: [],
      weight: 0,
    };
    f.verified += h.verified;
    f.failed += h.failed;
    // Evidence of more similar entries counts more.
    f.weight += h.similarity;
    f.evidence = (f.evidence! * (f.weight - h.similarity) + h.evidence * h.similarity) / f.weight;
    f.similarity = Math.max(f.similarity, h.similarity);
    f.refs!.push(h.key);
    byAction.set(action, f);
  }
  return [...byAction.values()]
    .map(({ weight: _w, ...f }) => ({ ...f, evidence: round(f.evidence!) }))
    .sort((x, y) => y.similarity - x.similarity || y.verified - x.verified);
}

/** Outcome counts, and the evidence they give (-1..1) with each outcome weighed by its age. */
export function summarise(
  rows: readonly OutcomeRow[],
  opts: Pick<RankOptions, "halfLifeDays" | "now">,
): { verified: number; failed: number; evidence: number } {
  const now = opts.now().getTime();
  let wv = 0;
  let wf = 0;
  let verified = 0;
  let failed = 0;
  for (const r of rows) {
    const ageDays = Math.max(0, now - Date.parse(r.recorded_at)) / 86_400_000;
    const w = 0.5 ** (ageDays / opts.halfLifeDays);
    if (r.outcome === "verified") {
      verified++;
      wv += w;
    } else {
      failed++;
      wf += w;
    }
  }
  return { verified, failed, evidence: (wv - wf) / Math.max(1, wv + wf) };
}

function matchesKind(kinds: readonly string[], qKind: string): boolean {
  if (kinds.includes(qKind)) return true;
  if (qKind.startsWith("docker")) return kinds.includes("docker");
  if (qKind.startsWith("k8s")) return kinds.includes("kubernetes");
  return false;
}

function sharedTerms(qTokens: ReadonlySet<string>, content: string): string[] {
  const out = new Set<string>();
  for (const t of contentTokens(content)) {
    if (t.length > 2 && qTokens.has(t) && !/^\d{1,2}$/.test(t)) out.add(t);
    if (out.size >= 6) break;
  }
  return [...out];
}

const round = (n: number) => Math.round(n * 1000) / 1000;
