import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, Option } from "commander";
import { AegisError } from "../core/errors.ts";
import { startAlertmanager } from "../lab/stack/alertmanager.ts";
import { freePort } from "../lab/stack/process.ts";
import { PROFILES } from "../lab/stack/profiles.ts";
import { startPrometheus, type ScrapeTarget } from "../lab/stack/prometheus.ts";

/** `container=host:port` → a scrape target labelled with its container name. */
function parseTarget(spec: string): ScrapeTarget {
  const match = /^([A-Za-z0-9_.-]+)=([A-Za-z0-9_.-]+:\d+)$/.exec(spec);
  if (!match)
    throw new AegisError(
      "config_invalid",
      `--target "${spec}": expected CONTAINER=HOST:PORT, e.g. web=127.0.0.1:18080`,
    );
  return { address: match[2]!, labels: { container: match[1]! } };
}

/** `aegis lab up`: the lab's Prometheus and Alertmanager on 127.0.0.1, alerting into a running AegisOps. */
export function labCommand(): Command {
  const lab = new Command("lab").description(
    "the chaos lab's Prometheus and Alertmanager, for your own AegisOps",
  );
  lab
    .command("up")
    .description(
      "start Prometheus (scraping the targets with the lab's alert rules) and Alertmanager (posting to " +
        "AegisOps) on 127.0.0.1 until Ctrl-C; everything lives in a temporary folder removed on exit",
    )
    .option(
      "--aegis-url <url>",
      "where AegisOps listens (its /alerts receives the webhook)",
      "http://127.0.0.1:8080",
    )
    .option("--target <container=host:port...>", "a service to scrape, labelled with its container name", [])
    .addOption(
      new Option("--profile <name>", "alerting speed").choices(Object.keys(PROFILES)).default("fast"),
    )
    .option("--webhook-token <token>", "bearer token for AegisOps' webhook (AEGIS_WEBHOOK_TOKEN)")
    .action(
      async (opts: {
        aegisUrl: string;
        target: string[];
        profile: keyof typeof PROFILES;
        webhookToken?: string;
      }) => {
        const targets = opts.target.map(parseTarget);
        if (targets.length === 0)
          throw new AegisError("config_invalid", "give at least one --target CONTAINER=HOST:PORT");
        const profile = PROFILES[opts.profile];
        const dir = mkdtempSync(join(tmpdir(), "aegis-lab-"));
        // Stop handlers first: a Ctrl-C while starting must not orphan what already started.
        const running: Array<{ stop(): Promise<void> }> = [];
        let stopRequested!: () => void;
        const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
        process.once("SIGINT", () => stopRequested());
        process.once("SIGTERM", () => stopRequested());
        try {
          const alertmanagerPort = await freePort();
          const prometheus = await startPrometheus({
            dir,
            profile,
            targets,
            alertmanager: `127.0.0.1:${alertmanagerPort}`,
          });
          running.push(prometheus);
          const alertmanager = await startAlertmanager({
            dir,
            profile,
            port: alertmanagerPort,
            webhookUrl: `${opts.aegisUrl.replace(/\/$/, "")}/alerts`,
            webhookToken: opts.webhookToken,
          });
          running.push(alertmanager);
          process.stderr.write(
            `Prometheus   ${prometheus.url}  (rules: ${profile.rulesFile})\n` +
              `Alertmanager ${alertmanager.url}  → ${opts.aegisUrl}/alerts\n` +
              `Point AegisOps at Prometheus with PROMETHEUS_URL=${prometheus.url}. Ctrl-C stops both.\n`,
          );
          await stopped;
        } finally {
          for (const r of running.reverse()) await r.stop();
          rmSync(dir, { recursive: true, force: true });
        }
        process.stderr.write("stopped Prometheus and Alertmanager\n");
      },
    );
  return lab;
}
