/**
 * Post one Alertmanager-shaped alert for `container`, wait until the agent is idle, and return the time
 * from posting to the platform being asked to act (as recorded in `sentAt` by an instant platform).
 */
export async function alertToActionMs(opts: {
  serverUrl: string;
  idle: () => Promise<void>;
  sentAt: ReadonlyMap<string, number>;
  container: string;
  fingerprint: string;
}): Promise<number> {
  const body = {
    version: "4",
    groupKey: `{}:{alertname="ContainerUnhealthy"}`,
    status: "firing",
    receiver: "aegis",
    alerts: [
      {
        status: "firing",
        labels: { alertname: "ContainerUnhealthy", container: opts.container },
        startsAt: new Date().toISOString(),
        fingerprint: opts.fingerprint,
      },
    ],
  };
  const received = Date.now();
  const res = await fetch(`${opts.serverUrl}/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
  await res.arrayBuffer();
  await opts.idle();
  const sent = opts.sentAt.get(opts.container);
  if (sent === undefined) throw new Error(`no action was sent for ${opts.container}`);
  return sent - received;
}
