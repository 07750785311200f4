import { ACTION_IDS, type ActionId } from "../../core/catalog.ts";
import { redactValue } from "../../core/redact.ts";
import type { Incident, IncidentStatus, IncidentSummary, Target } from "../../core/types.ts";
import { undoState } from "../../agent/undo/undoable.ts";
import { effectiveMode } from "../../agent/policy/mode.ts";
import type { Policy, PolicyMode } from "../../agent/policy/schema.ts";
import { PREDICTION_ALERTNAMES } from "../../detect/watcher/prediction.ts";
import type { AlertForecast } from "../../detect/watcher/registry.ts";
import type { ActionOutcome } from "../incidentMetrics.ts";
import { forecastView, type ForecastView } from "./forecast.ts";
import type { IncidentSource } from "./rowFilter.ts";

/** One row of the dashboard's incident list. */
export interface IncidentRow {
  id: string;
  status: IncidentStatus;
  statusReason: string | null;
  title: string;
  target: string;
  source: IncidentSource;
  action: string | null;
  receivedAt: string;
  resolvedAt: string | null;
  mttrMs: number | null;
}

/** A short name for a target, as people say it. */
export function targetLabel(t: Target): string {
  switch (t.kind) {
    case "docker_container":
      return `container ${t.name}`;
    case "docker_service":
      return `service ${t.service}`;
    case "k8s_workload":
      return `${t.cluster ? `${t.cluster}/` : ""}${t.namespace}/${t.workload}/${t.name}`;
    case "k8s_node":
      return `node ${t.name}`;
    case "k8s_ref":
      return `${t.cluster ? `${t.cluster}/` : ""}${t.namespace ? `${t.namespace}/` : ""}${t.resource}/${t.name}`;
    case "unresolved":
      return `unresolved (${t.reason})`;
  }
}

/** Where the incident came from, told by its alerts' names (a listing carries only those). */
export function sourceOf(alertnames: readonly string[]): IncidentSource {
  return alertnames.some((n) => PREDICTION_ALERTNAMES.includes(n)) ? "predictive" : "alert";
}

/** The list row of an incident summary, redacted. */
export function incidentRow(i: IncidentSummary): IncidentRow {
  return redactValue({
    id: i.id,
    status: i.status,
    statusReason: i.statusReason,
    title: i.alertnames.join(", ") || "(no alert name)",
    target: targetLabel(i.target),
    source: sourceOf(i.alertnames),
    action: i.decision?.action ?? null,
    receivedAt: i.receivedAt,
    resolvedAt: i.resolvedAt,
    mttrMs: i.mttrMs,
  });
}

/** The whole incident as the page shows it: everything redacted, the target named, its forecast if any. */
export function incidentView(
  i: Incident,
  forecasts: readonly AlertForecast[] = [],
): Incident & {
  targetLabel: string;
  source: IncidentSource;
  forecast: ForecastView | null;
  undo: { offered: boolean; action: string | null };
} {
  const predictive = i.alerts.some((a) => a.labels.aegis_source === "predictive");
  const undo = undoState(i);
  return redactValue({
    ...i,
    // Whether a person may ask to undo now, and which action it would revert (the server knows the catalog).
    undo: { offered: undo.offered, action: undo.action?.action ?? null },
    targetLabel: targetLabel(i.target),
    source: predictive ? "predictive" : sourceOf(i.alerts.map((a) => a.labels.alertname ?? "")),
    forecast: forecastView(forecasts) ?? null,
  });
}

/** Figures over recent incidents for the overview panels. */
export interface Stats {
  /** How many incidents the figures are drawn from (the newest ones). */
  window: number;
  byStatus: Record<string, number>;
  /** Each resolved incident's time to recovery, oldest first. */
  recoveries: Array<{ id: string; at: string; seconds: number }>;
  /** Actions by catalog id and outcome. */
  actions: Record<string, Record<string, number>>;
}

/**
 * The overview's figures from incident summaries (bounded, no timelines). A summary names the decided action
 * and whether it was sent, so each finished incident counts its action once: verified when it resolved,
 * failed when the action itself failed, unverified otherwise (retries within one incident count once).
 */
export function stats(recent: IncidentSummary[], byStatus: Record<string, number>): Stats {
  const recoveries = recent
    .filter((i) => i.status === "resolved" && i.resolvedAt && i.mttrMs !== null)
    .map((i) => ({ id: i.id, at: i.resolvedAt!, seconds: i.mttrMs! / 1000 }))
    .sort((a, b) => a.at.localeCompare(b.at));
  const actions: Stats["actions"] = {};
  for (const i of recent) {
    // A failed action was never marked as sent: its reason says so.
    const actionFailed = i.status === "failed" && i.statusReason?.startsWith("action_failed") === true;
    if (!i.decision || (i.actedAt === null && !actionFailed)) continue;
    if (!["resolved", "failed", "escalated"].includes(i.status)) continue;
    const outcome: ActionOutcome = actionFailed
      ? "failed"
      : i.status === "resolved"
        ? "verified"
        : "unverified";
    const row = (actions[i.decision.action] ??= {});
    row[outcome] = (row[outcome] ?? 0) + 1;
  }
  return { window: recent.length, byStatus, recoveries, actions };
}

/** The mode each action gets per service (and per namespace with a mode of its own), from the policy. */
export interface Autonomy {
  actions: ActionId[];
  rows: Array<{ scope: string; modes: Record<string, PolicyMode> }>;
}

export function autonomy(policy: Policy, processMode: PolicyMode): Autonomy {
  const actions = ACTION_IDS.filter((a): a is Exclude<ActionId, "none"> => a !== "none");
  const none: Target = { kind: "unresolved", key: "", reason: "" };
  const row = (scope: string, target: Target, service: string | undefined) => ({
    scope,
    modes: Object.fromEntries(
      actions.map((a) => [a, effectiveMode(policy, processMode, a, target, service)]),
    ),
  });
  const ns = (namespace: string): Target => ({
    kind: "k8s_workload",
    key: "",
    namespace,
    workload: "deployment",
    name: "",
  });
  return {
    actions,
    rows: [
      row("default", none, undefined),
      ...Object.keys(policy.modes.byNamespace).map((n) => row(`namespace ${n}`, ns(n), undefined)),
      ...Object.keys(policy.services).map((s) => row(`service ${s}`, none, s)),
    ],
  };
}
