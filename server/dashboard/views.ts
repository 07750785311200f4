import { ACTION_IDS, type ActionId } from "../../core/catalog.ts";
import { redactValue } from "../../core/redact.ts";
import type { Incident, IncidentStatus, Target } from "../../core/types.ts";
import { effectiveMode } from "../../agent/policy/mode.ts";
import type { Policy, PolicyMode } from "../../agent/policy/schema.ts";
import { actionOutcomes } from "../incidentMetrics.ts";

/** One row of the dashboard's incident list. */
export interface IncidentRow {
  id: string;
  status: IncidentStatus;
  statusReason: string | null;
  title: string;
  target: string;
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

/** The list row of an incident, redacted. */
export function incidentRow(i: Incident): IncidentRow {
  const names = [...new Set(i.alerts.map((a) => a.labels.alertname).filter(Boolean))];
  return redactValue({
    id: i.id,
    status: i.status,
    statusReason: i.statusReason,
    title: names.join(", ") || "(no alert name)",
    target: targetLabel(i.target),
    action: i.decision?.action ?? null,
    receivedAt: i.receivedAt,
    resolvedAt: i.resolvedAt,
    mttrMs: i.mttrMs,
  });
}

/** The whole incident as the page shows it: everything redacted, the target named. */
export function incidentView(i: Incident): Incident & { targetLabel: string } {
  return redactValue({ ...i, targetLabel: targetLabel(i.target) });
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

export function stats(recent: Incident[], byStatus: Record<string, number>): Stats {
  const recoveries = recent
    .filter((i) => i.status === "resolved" && i.resolvedAt && i.mttrMs !== null)
    .map((i) => ({ id: i.id, at: i.resolvedAt!, seconds: i.mttrMs! / 1000 }))
    .sort((a, b) => a.at.localeCompare(b.at));
  const actions: Stats["actions"] = {};
  for (const i of recent) {
    if (!["resolved", "failed", "escalated"].includes(i.status)) continue;
    for (const { action, outcome } of actionOutcomes(i)) {
      const row = (actions[action] ??= {});
      row[outcome] = (row[outcome] ?? 0) + 1;
    }
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
