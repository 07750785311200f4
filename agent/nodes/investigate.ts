import { AegisError } from "../../core/errors.ts";
import type { AgentDeps } from "../deps.ts";
import { platformFor } from "../platforms/platform.ts";
import type { IncidentStateType, IncidentStateUpdate } from "../state.ts";
import { loadIncident } from "./loadIncident.ts";

/** Gather evidence through read-only tools: state, logs, stats, health. */
export function makeInvestigate(deps: AgentDeps) {
  return async function investigate(state: IncidentStateType): Promise<IncidentStateUpdate> {
    const target = state.target;
    const platform = target ? platformFor(deps.platforms, target) : undefined;
    if (!target || !platform)
      throw new AegisError("internal", "investigate reached without a located target");
    const incident = await loadIncident(deps, state.incidentId);
    const evidence = await platform.investigate(target, incident.alerts, {
      now: deps.now ?? Date.now,
      sleep: deps.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    });
    const predicted = deps.predictions?.signalsFor(incident.alerts) ?? [];
    if (predicted.length > 0) evidence.signals.push(...predicted);
    await deps.incidents.saveEvidence(incident.id, evidence);
    const present = evidence.signals.filter((s) => s.value !== false && s.value !== 0);
    await deps.incidents.appendTimeline(incident.id, {
      step: "investigate",
      message: present.length
        ? `signals: ${present.map((s) => `${s.name} (${s.detail})`).join("; ")}`
        : "no failure signals found",
      data: { tools: Object.keys(evidence.observations), errors: evidence.errors },
    });
    return { evidence };
  };
}
