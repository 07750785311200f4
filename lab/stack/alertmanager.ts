import { join } from "node:path";
import { freePort, startReadyServer, type RunningServer } from "./process.ts";
import type { StackProfile } from "./profiles.ts";

export type RunningAlertmanager = RunningServer;

/** Start Debian's Alertmanager on 127.0.0.1 (no clustering) with one webhook receiver: AegisOps. */
export async function startAlertmanager(opts: {
  dir: string;
  profile: StackProfile;
  webhookUrl: string;
  webhookToken?: string | undefined;
  /** Listen port; a free one when absent (Prometheus may be configured with it before this starts). */
  port?: number;
}): Promise<RunningAlertmanager> {
  const port = opts.port ?? (await freePort());
  const p = opts.profile;
  const config = {
    route: {
      receiver: "aegis",
      group_by: ["alertname", "container"],
      group_wait: p.groupWait,
      group_interval: p.groupInterval,
      repeat_interval: p.repeatInterval,
    },
    receivers: [
      {
        name: "aegis",
        webhook_configs: [
          {
            url: opts.webhookUrl,
            send_resolved: true,
            ...(opts.webhookToken
              ? { http_config: { authorization: { credentials: opts.webhookToken } } }
              : {}),
          },
        ],
      },
    ],
  };
  return startReadyServer({
    command: "prometheus-alertmanager",
    name: "alertmanager",
    dir: opts.dir,
    port,
    config,
    args: [`--storage.path=${join(opts.dir, "alertmanager-data")}`, "--cluster.listen-address="],
    what: "Alertmanager",
  });
}
