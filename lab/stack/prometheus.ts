import { join } from "node:path";
import { freePort, pollUntil, startReadyServer, type RunningServer } from "./process.ts";
import type { StackProfile } from "./profiles.ts";

/** One scrape target and the labels every series of it carries (e.g. its container name). */
export interface ScrapeTarget {
  address: string;
  labels: Record<string, string>;
}

export type RunningPrometheus = RunningServer;

/** Write the config and start Debian's Prometheus on 127.0.0.1 with data in `dir`. */
export async function startPrometheus(opts: {
  dir: string;
  profile: StackProfile;
  targets: ScrapeTarget[];
  alertmanager?: string;
  job?: string;
}): Promise<RunningPrometheus> {
  const port = await freePort();
  const p = opts.profile;
  const config = {
    global: {
      scrape_interval: p.scrapeInterval,
      scrape_timeout: p.scrapeTimeout,
      evaluation_interval: p.evaluationInterval,
    },
    rule_files: [p.rulesFile],
    ...(opts.alertmanager
      ? {
          alerting: {
            alertmanagers: [
              { static_configs: [{ targets: [opts.alertmanager.replace(/^https?:\/\//, "")] }] },
            ],
          },
        }
      : {}),
    scrape_configs: [
      {
        job_name: opts.job ?? "aegis-lab",
        static_configs: opts.targets.map((t) => ({ targets: [t.address], labels: t.labels })),
      },
    ],
  };
  return startReadyServer({
    command: "prometheus",
    name: "prometheus",
    dir: opts.dir,
    port,
    config,
    args: [`--storage.tsdb.path=${join(opts.dir, "prometheus-data")}`],
    what: "Prometheus",
  });
}

/** Resolve when every target of `job` is scraped up (Prometheus discovers targets only every few seconds). */
export async function waitForTargetsUp(
  url: string,
  count: number,
  timeoutMs = 30_000,
  signal?: AbortSignal,
): Promise<void> {
  await pollUntil(
    async () => {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent("sum(up)")}`);
      const body = (await res.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
      return Number(body.data?.result?.[0]?.value[1] ?? 0) >= count;
    },
    timeoutMs,
    "Prometheus to scrape its targets",
    signal,
  );
}
