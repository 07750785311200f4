import type { Incident } from "../core/types.ts";
import type { BenchAegis } from "./benchAegis.ts";

/** Post one firing alert to AegisOps' webhook as Alertmanager would; returns the incidents it answered with. */
async function postFiringAlert(
  serverUrl: string,
  alert: { labels: Record<string, string>; startsAt: string; fingerprint?: string },
): Promise<Array<{ id: string }>> {
  const body = {
    version: "4",
    groupKey: `{}:{alertname="${alert.labels.alertname ?? ""}"}`,
    status: "firing",
    receiver: "aegis",
    alerts: [{ status: "firing", ...alert }],
  };
  const res = await fetch(`${serverUrl}/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
  return ((await res.json()) as { incidents: Array<{ id: string }> }).incidents;
}

/**
 * Post one Alertmanager-shaped alert for `container`, wait until the agent is idle, and return the time
 * from posting to the platform being asked to act (as recorded in `sentAt` by an instant platform).
 */
export async function alertToActionMs(
  bench: BenchAegis,
  opts: { sentAt: ReadonlyMap<string, number>; container: string; fingerprint: string },
): Promise<number> {
  const received = Date.now();
  await postFiringAlert(bench.server.url, {
    labels: { alertname: "ContainerUnhealthy", container: opts.container },
    startsAt: new Date().toISOString(),
    fingerprint: opts.fingerprint,
  });
  await bench.aegis.runner.idle();
  const sent = opts.sentAt.get(opts.container);
  if (sent === undefined) throw new Error(`no action was sent for ${opts.container}`);
  return sent - received;
}

/**
 * Post one firing alert, wait until the agent is idle, and return the incident it opened, which must have been
 * resolved (verified healthy); anything else throws with the status and its reason, naming `run`.
 */
export async function alertToResolved(
  bench: Pick<BenchAegis, "aegis" | "server">,
  opts: { labels: Record<string, string>; startsAt: string; run: string },
): Promise<Incident & { mttrMs: number }> {
  const [opened] = await postFiringAlert(bench.server.url, { labels: opts.labels, startsAt: opts.startsAt });
  await bench.aegis.runner.idle();
  const incident = opened ? await bench.aegis.incidents.get(opened.id) : undefined;
  if (incident?.status !== "resolved" || incident.mttrMs === null) {
    throw new Error(`${opts.run}: incident ended ${incident?.status}: ${incident?.statusReason}`);
  }
  return incident as Incident & { mttrMs: number };
}
