import type { Incident } from "../../core/types.ts";

/** The service an incident belongs to: its alerts' `service` label (as the guard reads it). */
export function serviceOf(incident: Incident): string | undefined {
  return incident.alerts.find((a) => a.labels.service)?.labels.service;
}

/** A person approved the action (in Slack or through the API) before it ran. */
export function approvedByPerson(incident: Incident): boolean {
  return incident.timeline.some(
    (e) => e.step === "approval" && e.data?.decided === true && e.data.approved === true,
  );
}

/** AegisOps acted on its own and the heal did not take: what the failed-heal budget counts. */
export function isFailedAutoHeal(incident: Incident): boolean {
  return incident.status === "failed" && incident.actions.length > 0 && !approvedByPerson(incident);
}

/** When the incident finished (its last timeline entry), in ms. */
export function finishedAt(incident: Incident): number {
  const last = incident.timeline.at(-1)?.at ?? incident.receivedAt;
  return Date.parse(last);
}

/** How an advised or approved action turned out, once it can be told. */
export type Score = "success" | "failure" | "pending" | "not_scored";

/** Advice counts as not taken once this much time passed without its alert resolving. */
const ADVICE_GRACE_MS = 60 * 60_000;

/**
 * Score an action people were asked about. Approved: did it verify (resolved) or not (failed). Advised: did
 * the alert resolve after the recommendation (people took it, or it was right that it would pass), or not
 * within an hour. Actions AegisOps took on its own are not scored here (they are already automatic).
 */
export function scoreOf(incident: Incident, now: number): Score {
  if (!incident.decision || incident.decision.action === "none") return "not_scored";
  if (approvedByPerson(incident)) {
    if (incident.status === "resolved") return "success";
    if (incident.status === "failed") return "failure";
    return incident.status === "escalated" ? "failure" : "pending";
  }
  if (incident.status === "advised") {
    if (incident.timeline.some((e) => e.step === "alert_resolved")) return "success";
    return now - finishedAt(incident) > ADVICE_GRACE_MS ? "failure" : "pending";
  }
  return "not_scored";
}
