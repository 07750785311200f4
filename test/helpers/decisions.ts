import type { Decision } from "../../core/types.ts";

/** A heuristic planner's decision for this action, with the fields a platform test does not look at filled in. */
export const decisionFor = (action: Decision["action"], params: Record<string, unknown> = {}): Decision => ({
  action,
  target: "x",
  params,
  confidence: 0.9,
  rationale: "",
  contributions: {},
  planner: "heuristic",
  model: null,
  promptVersion: null,
});
