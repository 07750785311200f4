import { z } from "zod";

/** One alert of an Alertmanager webhook (payload version 4). */
export const alertSchema = z.object({
  status: z.enum(["firing", "resolved"]),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).default({}),
  startsAt: z.string().min(1),
  endsAt: z.string().default("0001-01-01T00:00:00Z"),
  generatorURL: z.string().default(""),
  fingerprint: z.string().default(""),
});
export type Alert = z.infer<typeof alertSchema>;

/** The Alertmanager webhook body, version 4. */
export const webhookSchema = z.object({
  version: z.literal("4"),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().nonnegative().default(0),
  status: z.enum(["firing", "resolved"]),
  receiver: z.string(),
  groupLabels: z.record(z.string(), z.string()).default({}),
  commonLabels: z.record(z.string(), z.string()).default({}),
  commonAnnotations: z.record(z.string(), z.string()).default({}),
  externalURL: z.string().default(""),
  alerts: z.array(alertSchema).min(1).max(1000),
});
export type WebhookPayload = z.infer<typeof webhookSchema>;

/** Alertmanager's fingerprint when present, else a stable one from the sorted labels. */
export function alertFingerprint(alert: Alert): string {
  if (alert.fingerprint) return alert.fingerprint;
  return Object.keys(alert.labels)
    .sort()
    .map((k) => `${k}=${alert.labels[k]}`)
    .join(",");
}

/** The PromQL expression behind an alert, read from its generatorURL (`g0.expr`), if any. */
export function alertExpression(alert: Alert): string | undefined {
  if (!alert.generatorURL) return undefined;
  try {
    return new URL(alert.generatorURL).searchParams.get("g0.expr") ?? undefined;
  } catch {
    return undefined;
  }
}
