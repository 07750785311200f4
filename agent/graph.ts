import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { END, START, StateGraph } from "@langchain/langgraph";
import type { AgentDeps } from "./deps.ts";
import { makeAct } from "./nodes/act.ts";
import { makeCheck } from "./nodes/check.ts";
import { makeApprove } from "./nodes/approve.ts";
import { makeDecide } from "./nodes/decide.ts";
import { makeGuard } from "./nodes/guard.ts";
import { makeInvestigate } from "./nodes/investigate.ts";
import { makeLearn } from "./nodes/learn.ts";
import { makeNotify } from "./nodes/notify.ts";
import { makeRecall } from "./nodes/recall.ts";
import { makeTriage } from "./nodes/triage.ts";
import { makeVerify } from "./nodes/verify.ts";
import { IncidentState, type IncidentStateType } from "./state.ts";

/**
 * triage → investigate → recall → decide → check → guard → [approve → guard] → act → verify → learn → notify.
 * Any node that settles the outcome routes straight to notify; a failed verification may loop back to act.
 * An approval goes back through the guard: the target may have become protected, the cap been reached or
 * the mode changed while the request waited.
 */
export function buildIncidentGraph(deps: AgentDeps, checkpointer: BaseCheckpointSaver) {
  const settled = (s: IncidentStateType) => s.outcome !== null;
  return new StateGraph(IncidentState)
    .addNode("triage", makeTriage(deps))
    .addNode("investigate", makeInvestigate(deps))
    .addNode("recall", makeRecall(deps))
    .addNode("decide", makeDecide(deps))
    .addNode("check", makeCheck(deps))
    .addNode("guard", makeGuard(deps))
    .addNode("approve", makeApprove(deps))
    .addNode("act", makeAct(deps))
    .addNode("verify", makeVerify(deps))
    .addNode("learn", makeLearn(deps))
    .addNode("notify", makeNotify(deps))
    .addEdge(START, "triage")
    .addConditionalEdges("triage", (s) => (settled(s) ? "notify" : "investigate"), ["notify", "investigate"])
    .addEdge("investigate", "recall")
    .addEdge("recall", "decide")
    .addEdge("decide", "check")
    .addConditionalEdges("check", (s) => (settled(s) ? "notify" : "guard"), ["notify", "guard"])
    .addConditionalEdges(
      "guard",
      (s) => (settled(s) ? "notify" : s.verdict?.mode === "approve" && !s.approvedBy ? "approve" : "act"),
      ["notify", "approve", "act"],
    )
    .addConditionalEdges("approve", (s) => (settled(s) ? "notify" : "guard"), ["notify", "guard"])
    .addConditionalEdges("act", (s) => (settled(s) ? "notify" : "verify"), ["notify", "verify"])
    .addConditionalEdges("verify", (s) => (settled(s) ? "learn" : "act"), ["learn", "act"])
    .addEdge("learn", "notify")
    .addEdge("notify", END)
    .compile({ checkpointer });
}

export type IncidentGraph = ReturnType<typeof buildIncidentGraph>;
