import { z } from "zod";
import { AegisError } from "../../core/errors.ts";

/** An alert as `GET /api/v2/alerts` returns it (the fields AegisOps reads). */
const amAlertSchema = z.object({
  fingerprint: z.string(),
  labels: z.record(z.string(), z.string()),
  startsAt: z.string(),
  endsAt: z.string(),
  status: z.object({ state: z.enum(["unprocessed", "active", "suppressed"]) }),
});
export type AlertmanagerAlert = z.infer<typeof amAlertSchema>;

/** Quote a value for an Alertmanager label matcher (`name="value"`). */
const matcher = (name: string, value: string) => `${name}=${JSON.stringify(value)}`;

/**
 * The alerts Alertmanager holds as not yet resolved (active, silenced, inhibited or unprocessed) whose labels match
 * `filter` exactly. Alertmanager's API leaves out an alert once its end time has passed: one missing here is resolved
 * (or was never sent to this Alertmanager).
 */
export async function listUnresolvedAlerts(opts: {
  alertmanagerUrl: string;
  filter: Readonly<Record<string, string>>;
  timeoutMs?: number;
}): Promise<AlertmanagerAlert[]> {
  const url = new URL(`${opts.alertmanagerUrl.replace(/\/$/, "")}/api/v2/alerts`);
  for (const flag of ["active", "silenced", "inhibited", "unprocessed"]) url.searchParams.set(flag, "true");
  for (const [k, v] of Object.entries(opts.filter)) url.searchParams.append("filter", matcher(k, v));
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 3000) });
  } catch (err) {
    throw new AegisError("tool_failed", `Alertmanager ${url.origin}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!res.ok) throw new AegisError("tool_failed", `Alertmanager ${url.origin}: HTTP ${res.status}`);
  const parsed = z.array(amAlertSchema).safeParse(await res.json());
  if (!parsed.success) throw new AegisError("tool_failed", `Alertmanager ${url.origin}: unexpected answer`);
  const now = Date.now();
  return parsed.data.filter(
    (a) => Number.isNaN(Date.parse(a.endsAt)) || Date.parse(a.endsAt) > now || a.endsAt.startsWith("0001"),
  );
}
