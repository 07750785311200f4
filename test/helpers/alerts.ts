import { readFileSync } from "node:fs";
import type { WebhookPayload } from "../../core/alert.ts";
import type { IncidentAlert } from "../../core/types.ts";
import type { IncomingAlert } from "../../store/incidentRepository.ts";

const FIXTURES = new URL("../fixtures/alertmanager/", import.meta.url);

/** A real Alertmanager 0.25 capture, by file name. */
export function capturedPayload(
  name: "am-webhook-firing.json" | "am-webhook-resolved.json" | "am-webhook-injected-firing.json",
): WebhookPayload {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as WebhookPayload;
}

let counter = 0;

/**
 * The captured firing notification retargeted at other labels (the captures carry only service and
 * instance), with a fresh fingerprint and start time so each call is a new alert.
 */
export function retargeted(
  labels: Record<string, string>,
  status: "firing" | "resolved" = "firing",
): WebhookPayload {
  const base = capturedPayload(status === "firing" ? "am-webhook-firing.json" : "am-webhook-resolved.json");
  const alert = base.alerts[0]!;
  counter++;
  const merged = { ...alert.labels, ...labels };
  return {
    ...base,
    status,
    commonLabels: merged,
    groupLabels: { alertname: merged.alertname ?? "ContainerUnhealthy" },
    alerts: [
      {
        ...alert,
        status,
        labels: merged,
        startsAt: new Date(Date.now() - 1000 + counter).toISOString(),
        fingerprint: `${process.pid.toString(16)}${counter.toString(16).padStart(8, "0")}`,
      },
    ],
  };
}

/** POST a webhook payload; returns status and parsed body. */
export async function postAlerts(
  baseUrl: string,
  payload: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${baseUrl}/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof payload === "string" ? payload : JSON.stringify(payload),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** An alert as an incident holds it, with these labels (for tests of triage and policy checks). */
export const incidentAlert = (
  labels: Record<string, string>,
  status: "firing" | "resolved" = "firing",
  over: Partial<IncidentAlert> = {},
): IncidentAlert => ({
  status,
  labels,
  annotations: {},
  startsAt: "2026-12-01T10:00:00Z",
  endsAt: "0001-01-01T00:00:00Z",
  generatorURL: "",
  fingerprint: "",
  receivedAt: "2026-12-01T10:00:01Z",
  ...over,
});

/** A firing alert that began and arrived just now, with these labels and fingerprint. */
export const alertNow = (fingerprint: string, labels: Record<string, string>): IncidentAlert => {
  const now = new Date().toISOString();
  return incidentAlert(labels, "firing", { fingerprint, startsAt: now, receivedAt: now });
};

/** A firing HighMemory alert for a Docker container, as the webhook hands it to the store's ingest. */
export const incomingMemoryAlert = (fingerprint: string, container: string): IncomingAlert => ({
  alert: {
    status: "firing",
    labels: { alertname: "HighMemory", container },
    annotations: {},
    startsAt: "2026-11-23T15:08:43.971Z",
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: "",
    fingerprint,
  },
  target: { kind: "docker_container", key: `docker:container/${container}`, name: container },
});
