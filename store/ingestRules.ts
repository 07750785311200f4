import type { Alert } from "../core/alert.ts";
import type { IncidentStatus } from "../core/types.ts";

/**
 * The rules of ingest, shared by every store: what one incoming alert does, given what the store already holds.
 * Stores look the facts up (inside their transaction) and carry out the plan; the decisions live only here.
 */

/** What the store found for one incoming alert. */
export interface IngestFacts {
  alert: Alert;
  /** The incident holding this exact notification (same fingerprint, start and status), if seen before. */
  seenIncidentId: string | undefined;
  /** For a resolved alert: the incident holding its firing notification. */
  firingIncidentId: string | undefined;
  /** The active incident of the alert's target. */
  activeIncidentId: string | undefined;
  /**
   * An escalated incident of the alert's target that a person holds: escalated within ESCALATION_HOLD_MS and
   * with an alert still firing. Looked up only for a new firing alert when the target has no active incident.
   */
  heldIncidentId?: string | undefined;
}

/**
 * How long an escalated incident keeps taking new firing alerts for its target while one of its alerts still
 * fires (Alertmanager's default repeat_interval). Escalated means a person has it: more alerts about the same
 * target join that person's incident instead of opening another one (and paging again) every time the agent
 * gives up. Once every alert of it has resolved, or after this long, a new alert opens a new incident.
 */
export const ESCALATION_HOLD_MS = 4 * 60 * 60 * 1000;

/** The earliest escalation time that still holds new alerts at `receivedAt`. */
export function escalationHoldSince(receivedAt: string): string {
  return new Date(Date.parse(receivedAt) - ESCALATION_HOLD_MS).toISOString();
}

export type IngestPlan =
  /** Alertmanager re-sends the same alert every group/repeat interval: count it, never act on it again. */
  | { kind: "repeat"; incidentId: string }
  /** A resolved alert: record it on this incident (or on a new, dismissed one when `incidentId` is null). */
  | { kind: "resolve"; incidentId: string | null; matchedFiring: boolean }
  | { kind: "join"; incidentId: string }
  /** A firing alert for a target whose escalated incident a person holds: recorded there, the agent not run. */
  | { kind: "hold"; incidentId: string }
  | { kind: "create" };

export function planIngest(f: IngestFacts): IngestPlan {
  if (f.seenIncidentId) return { kind: "repeat", incidentId: f.seenIncidentId };
  if (f.alert.status === "resolved") {
    return {
      kind: "resolve",
      incidentId: f.firingIncidentId ?? f.activeIncidentId ?? null,
      matchedFiring: f.firingIncidentId !== undefined,
    };
  }
  if (f.activeIncidentId) return { kind: "join", incidentId: f.activeIncidentId };
  return f.heldIncidentId ? { kind: "hold", incidentId: f.heldIncidentId } : { kind: "create" };
}

/** Statuses in which nothing has been done to the target yet, so a resolved alert may dismiss the incident. */
export const UNTOUCHED: readonly IncidentStatus[] = ["open", "investigating", "awaiting_approval"];

/** After a resolved alert is stored: does the incident end as dismissed (every alert resolved, nothing done)? */
export function dismissesIncident(status: IncidentStatus, stillFiring: number): boolean {
  return UNTOUCHED.includes(status) && stillFiring === 0;
}

const nameOf = (a: Alert, fingerprint: string) => a.labels.alertname ?? fingerprint;

/** The words stores write for ingest: the same in every store. */
export const INGEST_TEXT = {
  resolvedUnseen: "resolved before any firing notification was seen",
  dismissedReason: "every alert resolved before any action was taken",
  dismissed: (a: Alert, fp: string) => `alert ${nameOf(a, fp)} resolved by itself`,
  resolved: (a: Alert, fp: string) => `alert ${nameOf(a, fp)} resolved`,
  joined: (a: Alert, fp: string) => `alert ${nameOf(a, fp)} joined the incident`,
  held: (a: Alert, fp: string) =>
    `alert ${nameOf(a, fp)} joined the escalated incident (a person has it; the agent does not run again)`,
  opened: (a: Alert, fp: string) => `alert ${nameOf(a, fp)} opened the incident`,
};
