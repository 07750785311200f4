import { describeError } from "../../core/errors.ts";
import { redactText } from "../../core/redact.ts";
import { isTerminal } from "../../core/types.ts";
import { coveringSilence } from "../../tools/alertmanager/silences.ts";
import type { AgentDeps } from "../deps.ts";
import { platformFor } from "../platforms/platform.ts";
import { coveringWindow } from "../policy/maintenance.ts";
import { protectedServiceReason } from "../policy/protection.ts";
import { selfReason } from "../policy/selfProtection.ts";
import { targetNameProblem } from "../targeting/names.ts";
import type { IncidentStateType, IncidentStateUpdate } from "../state.ts";
import { loadIncident } from "./loadIncident.ts";

/** Confirm there is something to do and that the target exists; pin it to a concrete instance. */
export function makeTriage(deps: AgentDeps) {
  return async function triage(state: IncidentStateType): Promise<IncidentStateUpdate> {
    const incident = await loadIncident(deps, state.incidentId);
    if (isTerminal(incident.status)) {
      return {
        outcome: { status: incident.status as never, reason: incident.statusReason ?? "already finished" },
      };
    }
    const target = incident.target;
    const window = coveringWindow(deps.policy, incident.alerts, Date.now());
    if (window) {
      return {
        target,
        outcome: {
          status: "dismissed",
          reason: `silenced: maintenance window "${window.name}" covers these alerts`,
        },
      };
    }
    if (deps.silences) {
      const firing = incident.alerts.filter((a) => a.status === "firing").map((a) => a.labels);
      try {
        const silence = coveringSilence(await deps.silences(), firing);
        if (silence) {
          const who = silence.createdBy ? ` by ${silence.createdBy}` : "";
          const why = silence.comment ? `: ${silence.comment}` : "";
          return {
            target,
            outcome: {
              status: "dismissed",
              // A silence's comment is text people typed into Alertmanager: redacted as any evidence.
              reason: redactText(
                `silenced in Alertmanager (silence ${silence.id}${who}, until ${silence.endsAt})${why}`,
              ),
            },
          };
        }
      } catch (err) {
        // Alertmanager down must not keep the responder from working: go on, and say so.
        await deps.incidents.appendTimeline(incident.id, {
          step: "triage",
          message: `could not read Alertmanager's silences, going on without: ${describeError(err)}`,
        });
      }
    }
    if (target.kind === "unresolved") {
      return { target, outcome: { status: "escalated", reason: `target_not_found: ${target.reason}` } };
    }
    // Labels are untrusted: a name outside the platform's grammar never reaches its API.
    const nameProblem = targetNameProblem(target);
    if (nameProblem)
      return { target, outcome: { status: "escalated", reason: `target_name_invalid: ${nameProblem}` } };
    const platform = platformFor(deps.platforms, target);
    if (!platform) {
      return {
        target,
        outcome: { status: "escalated", reason: `no platform is configured for ${target.kind} targets` },
      };
    }
    const located = await platform.locate(target);
    if (!located.ok) {
      const reason = `${located.code ?? "target_not_found"}: ${located.reason}`;
      // An object that exists but no catalog action acts on: the escalation is still a decision that names it and
      // why, so a person (and the record) sees what was found.
      if (located.code === "target_unsupported" && located.object)
        await deps.incidents.saveDecision(incident.id, {
          action: "none",
          target: located.object,
          params: {},
          confidence: 1,
          rationale: `${located.reason.charAt(0).toUpperCase()}${located.reason.slice(1)}.`,
          contributions: { target_unsupported: 1 },
          planner: "heuristic",
          model: null,
          promptVersion: null,
          disposition: "escalate",
        });
      return { target, outcome: { status: "escalated", reason } };
    }
    const protectedReason =
      selfReason(deps.self, located.target, located.instanceId) ??
      located.protectedReason ??
      protectedServiceReason(deps.policy, located.target, incident.alerts);
    if (protectedReason) {
      return { target: located.target, outcome: { status: "dismissed", reason: protectedReason } };
    }
    // One active incident per real object: a container named by its name and by its id is one incident.
    const identity = located.identity ?? located.target.key;
    const holder = await deps.incidents.claimObject(incident.id, identity);
    if (holder) {
      const reason = `${identity} is already the object of incident ${holder}`;
      await deps.incidents.mergeInto(incident.id, holder, reason);
      return { target: located.target, outcome: { status: "dismissed", reason: `duplicate: ${reason}` } };
    }
    await deps.incidents.updateTarget(incident.id, located.target);
    await deps.incidents.setStatus(incident.id, "investigating", null, {
      step: "triage",
      message: `target ${located.target.key} located${located.instanceId ? ` (${located.instanceId.slice(0, 12)})` : ""}`,
    });
    return { target: located.target, containerId: located.instanceId, identity };
  };
}
