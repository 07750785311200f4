import { Command } from "commander";
import { loadPolicy } from "../agent/policy/loadPolicy.ts";
import type { Policy } from "../agent/policy/schema.ts";
import { loadConfig } from "../core/config.ts";
import { AegisError } from "../core/errors.ts";
import { collectUsage } from "../detect/audit/collect.ts";
import { rightsize, type RightsizingLine } from "../detect/audit/rightsizing.ts";
import { queryPrometheus } from "../tools/prometheus/instantQuery.ts";

/** `aegis audit`: right-sizing of requests against usage history, with the monthly cost of the difference. */
export function auditCommand(): Command {
  return new Command("audit")
    .description(
      "right-sizing audit: per workload container, p95/p99 CPU and memory use over the window (cAdvisor) against " +
        "its requests (kube-state-metrics), the safe request, and the monthly cost of the difference " +
        "(PROMETHEUS_URL; prices and margins in the policy's rightsizing section)",
    )
    .option("--days <n>", "usage history in days (the policy's windowDays when absent)")
    .option("--namespace <ns...>", "audit only these namespaces")
    .option("--json", "print JSON")
    .action(async (opts: { days?: string; namespace?: string[]; json?: boolean }) => {
      const config = loadConfig();
      if (!config.prometheusUrl)
        throw new AegisError("config_invalid", "aegis audit reads Prometheus: set PROMETHEUS_URL");
      const policy = loadPolicy(config.policyPath);
      const cfg = { ...policy.rightsizing };
      if (opts.days !== undefined) {
        const d = Number(opts.days);
        if (!(d > 0 && d <= 90))
          throw new AegisError("input_invalid", `--days must be in (0, 90], got ${opts.days}`);
        cfg.windowDays = d;
      }
      if (opts.namespace) cfg.namespaces = opts.namespace;
      const url = config.prometheusUrl;
      const usage = await collectUsage(
        (query) => queryPrometheus({ prometheusUrl: url, query, timeoutMs: 60_000 }),
        cfg,
        watchedBy(policy),
      );
      const lines = rightsize(usage, cfg);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ windowDays: cfg.windowDays, lines }, null, 2)}\n`);
        return;
      }
      process.stdout.write(format(lines, cfg.windowDays));
    });
}

/** A workload counts as watched when an exhaustion series of the predictive watcher covers its namespace. */
function watchedBy(policy: Policy): (namespace: string, workload: string) => boolean {
  const p = policy.predictive;
  const series = p.enabled ? p.series.filter((s) => s.kind === "exhaustion") : [];
  return (namespace) =>
    series.some((s) => {
      const ns = s.labels.namespace ?? /namespace\s*=\s*"([^"]*)"/.exec(s.query)?.[1];
      return ns === undefined || ns === namespace;
    });
}

function format(lines: RightsizingLine[], days: number): string {
  const MiB = 2 ** 20;
  const head = [
    "workload/container",
    "pods",
    "cpu req",
    "p95",
    "p99",
    "safe",
    "mem req",
    "p95",
    "p99",
    "safe",
    "$/month",
  ];
  const rows = lines.map((l) => [
    `${l.namespace}/${l.workload}/${l.container}`,
    String(l.replicas),
    l.cpuRequest === undefined ? "-" : l.cpuRequest.toFixed(2),
    l.cpuP95.toFixed(3),
    l.cpuP99.toFixed(3),
    l.cpuSafe.toFixed(3),
    l.memRequest === undefined ? "-" : `${(l.memRequest / MiB).toFixed(0)}Mi`,
    `${(l.memP95 / MiB).toFixed(0)}Mi`,
    `${(l.memP99 / MiB).toFixed(0)}Mi`,
    `${(l.memSafe / MiB).toFixed(0)}Mi`,
    l.monthlySavings.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const total = lines.reduce((s, l) => s + Math.max(0, l.monthlySavings), 0);
  return [
    `Right-sizing over ${days} day(s): safe request = p99 use + margin (smaller where the predictive watcher covers the workload).`,
    fmt(head),
    ...rows.map(fmt),
    `Reserved beyond the safe requests: ${total.toFixed(2)} per month.`,
    ...lines.slice(0, 5).map((l) => `  ${l.namespace}/${l.workload}/${l.container}: ${l.reason}`),
    "",
  ].join("\n");
}
