import type { RecallQuery } from "./fixMemory.ts";

/** The parts of an incident recall looks at. Alerts as Alertmanager sends them. */
export interface IncidentFacts {
  alerts: ReadonlyArray<{ labels: Record<string, string>; annotations?: Record<string, string> }>;
  signals?: ReadonlyArray<{ name: string; value: unknown; detail: string }>;
  logLines?: readonly string[];
  targetKind?: string;
}

/** Labels that say nothing about the failure (routing, scraping, identity of the sender). */
const NOISE_LABELS = new Set(["severity", "job", "instance", "prometheus", "receiver", "endpoint", "uid"]);
const SERVICE_LABELS = [
  "service",
  "compose_service",
  "app",
  "deployment",
  "statefulset",
  "consumergroup",
  "queue",
];
const MAX_LOG_LINES = 12;
const MAX_LINE = 240;

/**
 * The recall query of an incident: alert names, labels and annotations, the signals with their details and
 * the last log lines, as one text; plus the fields exact matches use. Untrusted text only ever ranks runbooks.
 */
export function queryFromIncident(facts: IncidentFacts): RecallQuery {
  const parts: string[] = [];
  const alertNames = new Set<string>();
  const services = new Set<string>();
  for (const a of facts.alerts) {
    const name = a.labels.alertname;
    if (name) {
      alertNames.add(name);
      parts.push(name);
    }
    for (const [k, v] of Object.entries(a.labels)) {
      if (k === "alertname" || NOISE_LABELS.has(k)) continue;
      parts.push(`${k} ${v}`);
      if (SERVICE_LABELS.includes(k)) services.add(v);
    }
    for (const [k, v] of Object.entries(a.annotations ?? {})) {
      if (/url$/i.test(k)) continue;
      parts.push(v);
    }
  }
  const present = (facts.signals ?? []).filter((s) => s.value !== false && s.value !== 0);
  for (const s of present) parts.push(`${s.name.replace(/_/g, " ")}: ${s.detail}`);
  for (const line of (facts.logLines ?? []).slice(-MAX_LOG_LINES)) parts.push(line.slice(0, MAX_LINE));
  return {
    text: [...new Set(parts)].join("\n"),
    alertNames: [...alertNames],
    services: [...services],
    signals: [...new Set(present.map((s) => s.name))],
    ...(facts.targetKind ? { targetKind: facts.targetKind } : {}),
  };
}

/** Log lines found in investigation observations (any `lines: [{ text }]` or `lines: string[]`). */
export function logLinesOf(observations: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const value of Object.values(observations)) {
    const lines = (value as { lines?: unknown } | null)?.lines;
    if (!Array.isArray(lines)) continue;
    for (const l of lines) {
      if (typeof l === "string") out.push(l);
      else if (l && typeof (l as { text?: unknown }).text === "string")
        out.push((l as { text: string }).text);
    }
  }
  return out;
}
