import { redactText } from "../../core/redact.ts";
import type { Incident } from "../../core/types.ts";

/** Slack's limits: a section's text, a header's text. Longer text is cut, never rejected by Slack. */
export const SECTION_MAX = 2900;
export const HEADER_MAX = 150;

/** Cut `text` to `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Escape the three characters Slack's mrkdwn treats as control characters. */
export function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The evidence that decided, strongest first: each signal's share of the decision and what it saw. */
export function topEvidence(
  incident: Incident,
  max = 5,
): Array<{ name: string; share: number | null; detail: string }> {
  const contributions = incident.decision?.contributions ?? {};
  const signals = incident.evidence?.signals ?? [];
  const names = new Set([...Object.keys(contributions), ...signals.map((s) => s.name)]);
  return [...names]
    .map((name) => ({
      name,
      share: contributions[name] ?? null,
      detail: redactText(signals.find((s) => s.name === name)?.detail ?? ""),
    }))
    .sort((a, b) => (b.share ?? -1) - (a.share ?? -1))
    .slice(0, max);
}

// Whole words: "errors 0.0%" in a request summary is not a telling line.
const TELLING =
  /\b(error|fatal|panic|exception|fail(ed|ure)?|oom|out of memory|killed|timeout|timed out|refused|denied|unavailable|crash(ed)?)\b/i;

/**
 * A few log lines from the evidence, redacted: the telling ones (errors, panics, timeouts) first, the last
 * lines otherwise. Reads every log-like observation (Docker's `lines`, Kubernetes' per-pod lists).
 */
export function logExcerpt(incident: Incident, max = 5): string[] {
  const lines: string[] = [];
  const walk = (key: string, value: unknown, depth: number) => {
    if (depth > 3) return;
    if (Array.isArray(value) && /log|lines/i.test(key)) {
      for (const v of value) if (typeof v === "string") lines.push(v);
    } else if (value && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(/log/i.test(key) ? `${key}.log` : k, v, depth + 1);
    }
  };
  for (const [k, v] of Object.entries(incident.evidence?.observations ?? {})) walk(k, v, 0);
  const telling = lines.filter((l) => TELLING.test(l));
  const chosen = (telling.length > 0 ? telling : lines).slice(-max);
  return chosen.map((l) => clip(redactText(l.trim()), 200));
}

/** What the action touches and, where the investigation read them, the disruption budgets' headroom. */
export function blastRadius(incident: Incident): string {
  const scope = actionScope(incident);
  const pdbs = incident.evidence?.observations.k8s_pdbs as
    | {
        pdbs?: Array<{
          name: string;
          disruptionsAllowed: number;
          currentHealthy: number;
          desiredHealthy: number;
        }>;
      }
    | undefined;
  if (!pdbs?.pdbs || pdbs.pdbs.length === 0) return scope;
  const headroom = pdbs.pdbs
    .map(
      (p) =>
        `${p.name}: ${p.disruptionsAllowed} disruption(s) allowed (${p.currentHealthy} healthy, ${p.desiredHealthy} needed)`,
    )
    .join("; ");
  return `${scope}\nPDB headroom: ${headroom}`;
}

function actionScope(incident: Incident): string {
  const d = incident.decision;
  if (!d) return "unknown";
  const obs = incident.evidence?.observations ?? {};
  const pods = Array.isArray(obs.k8s_list_pods) ? obs.k8s_list_pods.length : undefined;
  const rollout = obs.k8s_rollout_history as { replicas?: number } | undefined;
  const replicas = typeof rollout?.replicas === "number" ? rollout.replicas : undefined;
  const t = { key: d.target || incident.target.key };
  const of =
    replicas !== undefined ? `${replicas} replica(s)` : pods !== undefined ? `${pods} pod(s)` : "its pods";
  switch (d.action) {
    case "restart_container":
    case "kill_container":
      return `1 container (${t.key}); its requests fail while it restarts`;
    case "scale_service":
    case "scale_deployment":
    case "add_kafka_consumers":
      return `${t.key}: adds capacity (${of} today); nothing is stopped`;
    case "restart_pod":
    case "recreate_pod_elsewhere":
      return `1 pod of ${t.key} (${of} in all); the others keep serving`;
    case "rollout_restart":
    case "rollback_deployment":
      return `every pod of ${t.key} (${of}), replaced by a rolling update (new pods ready before old ones go)`;
    case "raise_hpa_limits":
      return `the autoscaler of ${t.key}: a higher replica ceiling`;
    case "rate_limit_traffic":
      return `clients of ${t.key} above the per-client limit get 429`;
    case "cordon_drain_node":
      return `every pod on node ${t.key.split("/").pop()} is evicted (PodDisruptionBudgets respected)`;
    case "failover_database":
      return `every client of the database behind ${t.key} switches to the secondary`;
    case "reroute_traffic":
      return `all traffic of the service in front of ${t.key} moves to the healthy version`;
    case "drain_queue":
      return `the backlog of ${t.key}'s queue is moved aside (cannot be sent twice)`;
    case "failover_region":
      return `all traffic of ${t.key} moves to the standby region`;
    default:
      return "nothing";
  }
}

/** How a person would undo the action if it turns out wrong. */
export function undoPlan(incident: Incident): string {
  const d = incident.decision;
  if (!d) return "nothing to undo";
  switch (d.action) {
    case "restart_container":
    case "kill_container":
    case "restart_pod":
    case "rollout_restart":
    case "recreate_pod_elsewhere":
      return "nothing to undo: the same spec is started again";
    case "scale_service":
      return "scale back to the previous replica count";
    case "scale_deployment":
    case "add_kafka_consumers":
      return "scale back to the previous replica count (AegisOps does it when verification fails)";
    case "raise_hpa_limits":
      return "restore the previous HPA maxReplicas (automatic when verification fails)";
    case "rollback_deployment":
      return `roll forward to the revision it replaced: \`POST /api/incidents/${incident.id}/undo\` once the incident has finished (never automatic)`;
    case "rate_limit_traffic":
      return "remove the rate-limit annotations from the Ingress (automatic when verification fails)";
    case "cordon_drain_node":
      return `uncordon the node once it is healthy: \`POST /api/incidents/${incident.id}/undo\` (never automatic)`;
    case "failover_database":
      return "point the Service's selector back at the primary (automatic when verification fails)";
    case "reroute_traffic":
      return "restore the Service's previous selector (automatic when verification fails)";
    case "drain_queue":
      return "replay the spilled messages from the spill queue (manual)";
    case "failover_region":
      return "move the traffic weights back to the primary region";
    default:
      return "nothing to undo";
  }
}
