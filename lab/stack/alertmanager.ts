import { writeFileSync } from "node:fs";
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
  const file = join(opts.dir, "alertmanager.yml");
  writeFileSync(file, JSON.stringify(config, null, 2));
  const url = `http://127.0.0.1:${port}`;
  return startReadyServer({
    command: "prometheus-alertmanager",
    args: [
      `--config.file=${file}`,
      `--storage.path=${join(opts.dir, "alertmanager-data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=${url}`,
      "--cluster.listen-address=",
    ],
    logFile: join(opts.dir, "alertmanager.log"),
    url,
    what: "Alertmanager",
  });
}
