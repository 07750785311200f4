import type { Decision } from "../../core/types.ts";

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
