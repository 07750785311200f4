import type { Decision, Evidence, Incident, Target } from "../../core/types.ts";
import type { PastFix } from "../../runbooks/memory/fixMemory.ts";
import type { Policy } from "../policy/schema.ts";

/** Everything a planner may look at. It never gets clients: it cannot act. */
export interface PlannerInput {
  incident: Pick<Incident, "id" | "alerts">;
  target: Target;
  evidence: Evidence;
  recalled: PastFix[];
  policy: Policy;
}

/** Proposes one Decision; the guard decides whether it may run. */
export interface Planner {
  readonly name: Decision["planner"];
  decide(input: PlannerInput): Promise<Decision>;
}
