import { Annotation } from "@langchain/langgraph";
import type { Decision, Evidence, Target, Verification } from "../core/types.ts";
import type { PastFix } from "../runbooks/memory/fixMemory.ts";

/** How an incident run ends; `notify` turns it into the final status. */
export interface Outcome {
  status: "resolved" | "failed" | "escalated" | "advised" | "dismissed";
  reason: string;
}

/** What the guard decided about the planner's decision. */
export interface GuardVerdict {
  allowed: boolean;
  mode: "advise" | "approve" | "auto";
  reason: string;
}

const last = <T>(initial: T) => Annotation<T>({ reducer: (_prev, next) => next, default: () => initial });

/** The one typed state every node reads and writes. Checkpointed after each node, per incident thread. */
export const IncidentState = Annotation.Root({
  incidentId: last<string>(""),
  target: last<Target | null>(null),
  /** Docker container id seen at triage; guard checks the named container is still this one. */
  containerId: last<string | null>(null),
  /** The real object's identity from triage (Located.identity): the ledger and caps are keyed on it. */
  identity: last<string | null>(null),
  evidence: last<Evidence | null>(null),
  recalled: last<PastFix[]>([]),
  decision: last<Decision | null>(null),
  verdict: last<GuardVerdict | null>(null),
  /** Who approved the decision; the guard runs again after the approval, and then does not ask again. */
  approvedBy: last<string | null>(null),
  /** Set by the plausibility check: why a person must approve this decision whatever the mode. */
  needsApproval: last<string | null>(null),
  /** 1 for the first action, 2 for the retry after a failed verification, ... */
  attempt: last<number>(1),
  /** When the latest action was sent (ISO); verification only trusts evidence newer than this. */
  actedAt: last<string | null>(null),
  verification: last<Verification | null>(null),
  outcome: last<Outcome | null>(null),
});

export type IncidentStateType = typeof IncidentState.State;
export type IncidentStateUpdate = typeof IncidentState.Update;
