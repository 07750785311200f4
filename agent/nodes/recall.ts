import type { ActionId } from "../../core/catalog.ts";
import { describeError } from "../../core/errors.ts";
import type { Target } from "../../core/types.ts";
import type { MemoryHit, PastFix } from "../../runbooks/memory/fixMemory.ts";
import { logLinesOf, queryFromIncident } from "../../runbooks/memory/incidentQuery.ts";
import type { AgentDeps } from "../deps.ts";
import { appliesTo } from "../planners/applicability.ts";
import type { IncidentStateType, IncidentStateUpdate } from "../state.ts";
import { loadIncident } from "./loadIncident.ts";

/** Entries recalled per incident. */
const RECALL_LIMIT = 5;

/**
 * Recall runbooks and past incidents similar to this one (by its alerts, signals and log lines), and turn
 * them into what planners weigh: past outcomes per action, and the top runbook's recommended action.
 */
export function makeRecall(deps: AgentDeps) {
  return async function recall(state: IncidentStateType): Promise<IncidentStateUpdate> {
    if (!state.evidence || !state.target) return { recalled: [] };
    const incident = await loadIncident(deps, state.incidentId);
    const query = queryFromIncident({
      alerts: incident.alerts,
      signals: state.evidence.signals,
      logLines: logLinesOf(state.evidence.observations),
      targetKind: state.target.kind,
    });
    let recollection: Awaited<ReturnType<AgentDeps["memory"]["recall"]>>;
    try {
      recollection = await deps.memory.recall(query, RECALL_LIMIT);
    } catch (err) {
      // Memory is advice: without it the planner still decides on the evidence.
      await deps.incidents.appendTimeline(state.incidentId, {
        step: "recall",
        message: `runbook memory unavailable, deciding on the evidence alone: ${describeError(err)}`,
      });
      return { recalled: [] };
    }
    const { hits, fixes } = recollection;
    const recommended = runbookRecommendation(hits, state.target);
    const recalled = recommended ? [...fixes, recommended] : fixes;
    await deps.incidents.appendTimeline(state.incidentId, {
      step: "recall",
      message: describeRecall(hits, fixes, recommended),
      data: {
        hits: hits.map((h) => ({
          key: h.key,
          kind: h.kind,
          scenario: h.scenario,
          score: h.score,
          reasons: h.reasons,
        })),
      },
    });
    return { recalled };
  };
}

/** The best-ranked runbook's first recommended action that applies to this target. */
export function runbookRecommendation(hits: readonly MemoryHit[], target: Target): PastFix | undefined {
  const top = hits.find((h) => h.kind === "runbook");
  if (!top) return undefined;
  const action = top.actions.find((a: ActionId) => a !== "none" && appliesTo(a, target));
  if (!action) return undefined;
  return {
    action,
    verified: 0,
    failed: 0,
    similarity: Math.min(1, top.score),
    source: "runbook",
    family: top.scenario,
    refs: [top.key],
  };
}

function describeRecall(
  hits: readonly MemoryHit[],
  fixes: readonly PastFix[],
  rec: PastFix | undefined,
): string {
  if (hits.length === 0) return "nothing similar in the runbook memory";
  const parts: string[] = [];
  for (const f of fixes) {
    parts.push(
      `${f.action}: ${f.verified} verified, ${f.failed} failed (similarity ${f.similarity.toFixed(2)})`,
    );
  }
  if (rec) parts.push(`runbook ${rec.family} recommends ${rec.action}`);
  const top = hits
    .slice(0, 3)
    .map((h) => `${h.kind} ${h.key} (score ${h.score.toFixed(2)}: ${h.reasons.slice(0, 2).join("; ")})`);
  parts.push(`recalled ${top.join(", ")}`);
  return parts.join("; ");
}
