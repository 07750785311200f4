import type { Incident } from "../core/types.ts";
import type { IncidentRepository } from "../store/incidentRepository.ts";

/** A Slack message AegisOps posted for an incident: kept in its timeline, so a restart finds it again. */
export interface MessageRef {
  kind: "approval" | "notification";
  channel: string;
  ts: string;
}

/** The newest message of `kind` posted for the incident (after `sinceIndex` in its timeline). */
export function findMessage(
  incident: Incident,
  kind: MessageRef["kind"],
  sinceIndex = 0,
): MessageRef | undefined {
  for (let i = incident.timeline.length - 1; i >= sinceIndex; i--) {
    const e = incident.timeline[i]!;
    const d = e.data;
    if (e.step === "slack" && d?.kind === kind && typeof d.channel === "string" && typeof d.ts === "string") {
      return { kind, channel: d.channel, ts: d.ts };
    }
  }
  return undefined;
}

/** Record a posted message on the incident's timeline. */
export async function recordMessage(
  incidents: IncidentRepository,
  id: string,
  ref: MessageRef,
): Promise<void> {
  await incidents.appendTimeline(id, {
    step: "slack",
    message: `${ref.kind === "approval" ? "approval request" : "notification"} posted to Slack channel ${ref.channel}`,
    data: { ...ref },
  });
}
