import type { AgentDeps } from "../deps.ts";
import { signatureOf } from "../signals.ts";
import type { IncidentStateType, IncidentStateUpdate } from "../state.ts";

/** Look up what fixed (or failed to fix) incidents with similar symptoms before. */
export function makeRecall(deps: AgentDeps) {
  return async function recall(state: IncidentStateType): Promise<IncidentStateUpdate> {
    if (!state.evidence || !state.target) return { recalled: [] };
    const recalled = await deps.memory.recall(signatureOf(state.evidence.signals), state.target.kind);
    if (recalled.length > 0) {
      await deps.incidents.appendTimeline(state.incidentId, {
        step: "recall",
        message: recalled
          .map(
            (f) =>
              `${f.action}: ${f.verified} verified, ${f.failed} failed (similarity ${f.similarity.toFixed(2)})`,
          )
          .join("; "),
      });
    }
    return { recalled };
  };
}
