import { randomUUID } from "node:crypto";
import type {
  Decision,
  Evidence,
  Incident,
  IncidentAlert,
  IncidentMilestones,
  IncidentStatus,
  IncidentSummary,
  Target,
  TimelineEntry,
  Verification,
} from "../core/types.ts";

/** Rows as every store returns them (the same column names and JSON-as-text in SQLite and PostgreSQL). */
export interface IncidentRow {
  id: string;
  status: IncidentStatus;
  status_reason: string | null;
  target_json: string;
  evidence_json: string | null;
  decision_json: string | null;
  verification_json: string | null;
  received_at: string;
  decided_at: string | null;
  acted_at: string | null;
  verified_at: string | null;
  resolved_at: string | null;
  alerts_dropped: number;
  timeline_dropped: number;
  alert_count: number;
}

export interface AlertRow {
  status: "firing" | "resolved";
  fingerprint: string;
  starts_at: string;
  ends_at: string;
  labels_json: string;
  annotations_json: string;
  generator_url: string;
  received_at: string;
}

export interface ActionRow {
  key: string;
  action: string;
  target: string;
  params_json: string;
  attempt: number;
  state: string;
  requested_at: string;
  completed_at: string | null;
  result_json: string | null;
  error: string | null;
}

export interface TimelineRow {
  at: string;
  step: string;
  message: string;
  data_json: string | null;
}

const parse = <T>(json: string | null): T | null => (json === null ? null : (JSON.parse(json) as T));

/** 64 random bits: ids stay short enough to read aloud and never collide in practice. */
export function newIncidentId(receivedAt: string): string {
  return `inc_${receivedAt.slice(0, 10).replaceAll("-", "")}_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
}

export function mttrOf(row: IncidentRow): number | null {
  return row.status === "resolved" && row.verified_at
    ? Date.parse(row.verified_at) - Date.parse(row.received_at)
    : null;
}

export function toActionRecord(a: ActionRow): Incident["actions"][number] {
  return {
    key: a.key,
    action: a.action as Incident["actions"][number]["action"],
    target: a.target,
    params: JSON.parse(a.params_json) as Record<string, unknown>,
    attempt: Number(a.attempt),
    state: a.state as Incident["actions"][number]["state"],
    requestedAt: a.requested_at,
    ...(a.completed_at ? { completedAt: a.completed_at } : {}),
    ...(a.result_json ? { result: JSON.parse(a.result_json) as Record<string, unknown> } : {}),
    ...(a.error ? { error: a.error } : {}),
  };
}

export function toIncident(
  row: IncidentRow,
  alertRows: AlertRow[],
  timelineRows: TimelineRow[],
  actionRows: ActionRow[],
): Incident {
  const alerts = alertRows.map((a): IncidentAlert => ({
    status: a.status,
    labels: JSON.parse(a.labels_json) as Record<string, string>,
    annotations: JSON.parse(a.annotations_json) as Record<string, string>,
    startsAt: a.starts_at,
    endsAt: a.ends_at,
    generatorURL: a.generator_url,
    fingerprint: a.fingerprint,
    receivedAt: a.received_at,
  }));
  const timeline = timelineRows.map((t): TimelineEntry => {
    const entry: TimelineEntry = { at: t.at, step: t.step, message: t.message };
    if (t.data_json !== null) entry.data = JSON.parse(t.data_json) as Record<string, unknown>;
    return entry;
  });
  const omitted =
    row.alerts_dropped > 0 || row.timeline_dropped > 0
      ? { omitted: { alerts: Number(row.alerts_dropped), timeline: Number(row.timeline_dropped) } }
      : {};
  return {
    id: row.id,
    status: row.status,
    statusReason: row.status_reason,
    alerts,
    target: JSON.parse(row.target_json) as Target,
    evidence: parse<Evidence>(row.evidence_json),
    decision: parse<Decision>(row.decision_json),
    actions: actionRows.map(toActionRecord),
    verification: parse<Verification>(row.verification_json),
    timeline,
    ...milestonesOf(row),
    ...omitted,
  };
}

/** When the incident reached each step, and its time to recovery: the same in the full incident and its summary. */
function milestonesOf(row: IncidentRow): IncidentMilestones {
  return {
    receivedAt: row.received_at,
    decidedAt: row.decided_at,
    actedAt: row.acted_at,
    verifiedAt: row.verified_at,
    resolvedAt: row.resolved_at,
    mttrMs: mttrOf(row),
  };
}

export function toSummary(row: IncidentRow, alertnames: string[]): IncidentSummary {
  const decision = parse<Decision>(row.decision_json);
  return {
    id: row.id,
    status: row.status,
    statusReason: row.status_reason,
    target: JSON.parse(row.target_json) as Target,
    alertCount: Number(row.alert_count),
    alertnames,
    decision: decision
      ? {
          action: decision.action,
          target: decision.target,
          confidence: decision.confidence,
          planner: decision.planner,
        }
      : null,
    ...milestonesOf(row),
  };
}
