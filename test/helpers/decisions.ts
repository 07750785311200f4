import { HeuristicPlanner } from "../../agent/planners/heuristic.ts";
import { defaultPolicy } from "../../agent/policy/loadPolicy.ts";
import type { Decision, Evidence, Incident, Signal, Target } from "../../core/types.ts";

/**
 * A heuristic planner's decision for this action, with the fields a test does not look at filled in; `over`
 * sets the ones it does (target, rationale, contributions ...).
 */
export const decisionFor = (
  action: Decision["action"],
  params: Record<string, unknown> = {},
  over: Partial<Decision> = {},
): Decision => ({
  action,
  target: "x",
  params,
  confidence: 0.9,
  rationale: "",
  contributions: {},
  planner: "heuristic",
  model: null,
  promptVersion: null,
  ...over,
});

/** Evidence that holds these signals and nothing else. */
export const evidenceOf = (signals: Signal[]): Evidence => ({
  collectedAt: "",
  signals,
  observations: {},
  errors: [],
});

/** The heuristic planner's decision for `target` on these signals alone, under the default policy. */
export const heuristicDecision = (target: Target, signals: Signal[]): Promise<Decision> =>
  new HeuristicPlanner().decide({
    incident: {} as Incident,
    target,
    evidence: evidenceOf(signals),
    recalled: [],
    policy: defaultPolicy(),
  });
