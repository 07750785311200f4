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
}

export type IngestPlan =
  /** Alertmanager re-sends the same alert every group/repeat interval: count it, never act on it again. */
  | { kind: "repeat"; incidentId: string }
  /** A resolved alert: record it on this incident (or on a new, dismissed one when `incidentId` is null). */
  | { kind: "resolve"; incidentId: string | null; matchedFiring: boolean }
  | { kind: "join"; incidentId: string }
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
  return f.activeIncidentId ? { kind: "join", incidentId: f.activeIncidentId } : { kind: "create" };
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
  opened: (a: Alert, fp: string) => `alert ${nameOf(a, fp)} opened the incident`,
};
