import { createHash } from "node:crypto";
import type { WebhookPayload } from "../../core/alert.ts";
import type { Scenario } from "./scenario.ts";

type Notification = Scenario["notifications"][number];

/**
 * The Alertmanager v4 body of one notification. Shorthand alerts get what Alertmanager adds: a fingerprint
 * from the labels (so a repeated alert is the same alert, as in Alertmanager), a start time, a generatorURL
 * carrying the rule's expression, and the group fields.
 */
export function toPayload(n: Notification, startsAt: Date, clusterNow = Date.now()): WebhookPayload {
  if ("payload" in n) return n.payload;
  const alerts = n.alerts.map((a) => ({
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    // `startsAgoMs`: the alert began that long before delivery on the cluster's clock (late or repeated delivery).
    startsAt: (a.startsAgoMs !== undefined ? new Date(clusterNow - a.startsAgoMs) : startsAt).toISOString(),
    endsAt: a.status === "resolved" ? new Date().toISOString() : "0001-01-01T00:00:00Z",
    generatorURL: a.expr
      ? `http://prometheus.eval:9090/graph?g0.expr=${encodeURIComponent(a.expr)}&g0.tab=1`
      : "",
    fingerprint: fingerprint(a.labels),
  }));
  const common = commonOf(alerts.map((a) => a.labels));
  const alertname = common.alertname;
  return {
    version: "4",
    groupKey: `{}:{alertname="${alertname ?? ""}"}`,
    truncatedAlerts: 0,
    status: alerts.some((a) => a.status === "firing") ? "firing" : "resolved",
    receiver: "aegis",
    groupLabels: alertname ? { alertname } : {},
    commonLabels: common,
    commonAnnotations: commonOf(alerts.map((a) => a.annotations)),
    externalURL: "http://alertmanager.eval:9093",
    alerts,
  };
}

/** Alertmanager's fingerprint is a hash of the sorted label set; 16 hex digits like its own. */
function fingerprint(labels: Record<string, string>): string {
  const text = Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join("\u0001");
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

function commonOf(sets: Array<Record<string, string>>): Record<string, string> {
  const [first, ...rest] = sets;
  if (!first) return {};
  return Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((s) => s[k] === v)));
}
