import type { ActionId, FailureFamily } from "./catalog.ts";
import type { Alert } from "./alert.ts";

/** The statuses that end an incident (TERMINAL_STATUSES). */
const TERMINAL = ["resolved", "failed", "escalated", "advised", "dismissed", "quarantined"] as const;

/** Lifecycle of an incident (DESIGN.md §3): the working statuses, then the terminal ones. */
export const INCIDENT_STATUSES = [
  "open",
  "investigating",
  "awaiting_approval",
  "acting",
  "verifying",
  ...TERMINAL,
] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** Statuses after which the agent does nothing more for an incident. */
export const TERMINAL_STATUSES: readonly IncidentStatus[] = TERMINAL;

export function isTerminal(status: IncidentStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** What an incident is about. `key` is unique per workload and is what "one open incident per target" uses. */
export type Target =
  | { kind: "docker_container"; key: string; name: string; id?: string }
  | {
      kind: "docker_service";
      key: string;
      service: string;
      /** Compose project, when the alert names it (the same service name can exist in several projects). */
      project?: string;
      /** The member container the alert names exactly (cAdvisor's `name`), preferred among the service's members. */
      member?: string;
    }
  | {
      kind: "k8s_workload";
      key: string;
      namespace: string;
      workload: "pod" | "deployment" | "statefulset" | "daemonset";
      name: string;
      container?: string;
      cluster?: string;
    }
  | { kind: "k8s_node"; key: string; name: string; cluster?: string }
  /**
   * A Kubernetes object an alert names that is not itself a workload (a Service, an HPA, a PVC, a node known only by
   * its address, a mesh workload of unknown kind): the platform pins it to the workload or node behind it at triage.
   */
  | {
      kind: "k8s_ref";
      key: string;
      resource: K8sRefResource;
      name: string;
      namespace?: string;
      cluster?: string;
      /** The labels it came from, in plain words, for a person reading an escalation. */
      via: string;
    }
  | { kind: "unresolved"; key: string; reason: string };

/** What a `k8s_ref` target names. `workload`: a Deployment, StatefulSet or DaemonSet of that name. */
export type K8sRefResource =
  | "node"
  | "pod"
  | "replicaset"
  | "service"
  | "horizontalpodautoscaler"
  | "persistentvolumeclaim"
  | "workload";

/** One alert as stored with its incident. */
export interface IncidentAlert extends Alert {
  receivedAt: string;
}

/** One step of an incident's history. */
export interface TimelineEntry {
  at: string;
  step: string;
  message: string;
  data?: Record<string, unknown>;
}

/** A named observation the planner weighs, e.g. `memory_growth` with its measured value. */
export interface Signal {
  name: string;
  value: number | string | boolean;
  detail: string;
}

/** What investigation found, kept on the incident. */
export interface Evidence {
  collectedAt: string;
  signals: Signal[];
  /** Raw tool outputs, trimmed; keys are tool names. */
  observations: Record<string, unknown>;
  errors: string[];
  /**
   * The service the target's own symptom comes from (a callee answering with errors, a dependency answering slowly),
   * observed on its own: its signals are read exactly as if it were the incident's target.
   */
  dependency?: { target: Target; via: string; signals: Signal[] };
}

/** The planner's choice: one action from the catalog. */
export interface Decision {
  action: ActionId;
  target: string;
  params: Record<string, unknown>;
  confidence: number;
  rationale: string;
  family?: FailureFamily;
  /** Share of the decision each piece of evidence carried; sums to about 1. */
  contributions: Record<string, number>;
  /** Each contribution in plain words: the signals it names with what was measured (set after the planner). */
  basis?: Array<{ evidence: string; weight: number; detail: string }>;
  planner: "heuristic" | "llm";
  model: string | null;
  promptVersion: string | null;
  /** When `action` is `none`: what to do with the incident. */
  disposition?: "escalate" | "dismiss";
  /** A plain-language root-cause summary for people (the LLM planner writes one). */
  summary?: string;
  /** Explanations the planner considered and ruled out, each with why. */
  rejectedHypotheses?: Array<{ hypothesis: string; reason: string }>;
  /** Model use behind the decision (LLM planner, including a run that fell back). */
  usage?: DecisionUsage;
  /** What people should know about how the decision was reached, e.g. that the LLM planner fell back. */
  notes?: string[];
  /**
   * Set when the configured (LLM) planner could not decide and this is the fallback planner's decision: a code
   * to count by (`llm_invalid_answer`, `llm_unavailable`, `llm_http_429`, `llm_off_script`, ...) and why.
   */
  fallback?: { code: string; reason: string };
  /**
   * Set when the action acts on another object than the incident's target: the dependency its symptom comes from
   * (`Evidence.dependency`), whose own evidence supports the action.
   */
  actsOn?: Target;
  /**
   * The cause the evidence names when it is not the object acted on (e.g. `region/us-east` behind a failover of
   * `shop/web`); an escalation names its cause as `target` instead.
   */
  rootCause?: string;
}

/** Tokens a planner spent on one incident and what they cost. */
export interface DecisionUsage {
  model: string;
  promptVersion: string;
  calls: number;
  tokensIn: number;
  tokensOut: number;
  /** Estimated from the model's list price; null when the price is unknown (e.g. a local model). */
  costUsd: number | null;
}

/** One action attempt, recorded before it is sent (idempotency). */
export interface ActionRecord {
  key: string;
  action: ActionId;
  target: string;
  params: Record<string, unknown>;
  attempt: number;
  state: "pending" | "sent" | "failed" | "skipped";
  requestedAt: string;
  completedAt?: string;
  result?: Record<string, unknown>;
  error?: string;
}

/**
 * The key of the action a record undoes, when the record is a person's undo (agent/undo): it goes through the
 * ledger like any action, with `params.undoOf` naming the action it puts back.
 */
export function undoOf(record: ActionRecord): string | undefined {
  return typeof record.params.undoOf === "string" ? record.params.undoOf : undefined;
}

export interface Verification {
  healthy: boolean;
  evidence: Array<{ check: string; ok: boolean; detail: string }>;
  checkedAt: string;
}

/** When an incident reached each step (ISO times; null until it does) and its time from alert to verified. */
export interface IncidentMilestones {
  receivedAt: string;
  decidedAt: string | null;
  actedAt: string | null;
  verifiedAt: string | null;
  resolvedAt: string | null;
  mttrMs: number | null;
}

/** The incident as the API returns it (DESIGN.md §3). */
export interface Incident extends IncidentMilestones {
  id: string;
  status: IncidentStatus;
  statusReason: string | null;
  alerts: IncidentAlert[];
  target: Target;
  evidence: Evidence | null;
  decision: Decision | null;
  actions: ActionRecord[];
  verification: Verification | null;
  timeline: TimelineEntry[];
  /** Present when the incident outgrew its bounds: alerts and timeline entries stored only as counts. */
  omitted?: { alerts: number; timeline: number };
}

/** One line of `GET /api/incidents`: enough to list and pick; the detail is `GET /api/incidents/:id`. */
export interface IncidentSummary extends IncidentMilestones {
  id: string;
  status: IncidentStatus;
  statusReason: string | null;
  target: Target;
  alertCount: number;
  /** Distinct alert names, at most a handful. */
  alertnames: string[];
  decision: Pick<Decision, "action" | "target" | "confidence" | "planner"> | null;
}
