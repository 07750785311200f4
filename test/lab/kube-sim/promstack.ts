import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./helpers.ts";
import { freeLoopbackPort as freePort } from "../../../core/ports.ts";

/** A loopback port that was free a moment ago. */
export { freePort };

/** Real Prometheus 2.42 and Alertmanager 0.25 on 127.0.0.1: 200 ms scrapes and rule evaluation. */
export interface PromStack {
  prometheus: string;
  alertmanager: string;
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  return exited;
}

/**
 * Starts the stack scraping `target` (host:port), with `rules` (a Prometheus rule group YAML) and a webhook receiver.
 * `prometheusPort` fixes Prometheus's port, for a responder that must know PROMETHEUS_URL before the stack starts.
 */
export async function startPromStack(
  target: string,
  rules: string,
  webhookUrl: string,
  opts: { prometheusPort?: number } = {},
): Promise<PromStack> {
  const dir = mkdtempSync(join(tmpdir(), "kube-sim-prom-"));
  const [promPort, amPort] = [opts.prometheusPort ?? (await freePort()), await freePort()];
  writeFileSync(join(dir, "rules.yml"), rules);
  writeFileSync(
    join(dir, "alertmanager.yml"),
    [
      "route:",
      "  receiver: hook",
      "  group_by: [alertname]",
      "  group_wait: 0s",
      "  group_interval: 100ms",
      "  repeat_interval: 1h",
      "receivers:",
      "  - name: hook",
      "    webhook_configs:",
      `      - url: ${webhookUrl}`,
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(dir, "prometheus.yml"),
    [
      "global:",
      "  scrape_interval: 200ms",
      "  evaluation_interval: 200ms",
      "rule_files: [rules.yml]",
      "alerting:",
      "  alertmanagers:",
      `    - static_configs: [{ targets: ["127.0.0.1:${amPort}"] }]`,
      "scrape_configs:",
      "  - job_name: kube-sim",
      "    scrape_timeout: 150ms",
      `    static_configs: [{ targets: ["${target}"] }]`,
      "",
    ].join("\n"),
  );
  const am = spawn(
    "/usr/bin/prometheus-alertmanager",
    [
      `--config.file=${join(dir, "alertmanager.yml")}`,
      `--storage.path=${join(dir, "am")}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      `--web.external-url=http://127.0.0.1:${amPort}`,
      "--cluster.listen-address=",
    ],
    { stdio: "ignore" },
  );
  const prom = spawn(
    "/usr/bin/prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      `--web.external-url=http://127.0.0.1:${promPort}`,
    ],
    { stdio: "ignore" },
  );
  const stack: PromStack = {
    prometheus: `http://127.0.0.1:${promPort}`,
    alertmanager: `http://127.0.0.1:${amPort}`,
    stop: async () => {
      await Promise.all([stopChild(prom), stopChild(am)]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    // Prometheus discovers static targets a few seconds after start: wait for up == 1.
    await waitFor(
      async () => {
        const res = await fetch(`${stack.prometheus}/api/v1/query?query=${encodeURIComponent("up == 1")}`);
        const body = (await res.json()) as { data?: { result?: unknown[] } };
        return (body.data?.result?.length ?? 0) === 1;
      },
      "Prometheus to scrape the simulator",
      30_000,
    );
    await waitFor(
      async () => (await fetch(`${stack.alertmanager}/-/ready`)).ok,
      "Alertmanager to be ready",
      15_000,
    );
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}
