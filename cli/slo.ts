import { Command } from "commander";
import { Autonomy } from "../agent/autonomy/autonomy.ts";
import type { BurnState } from "../agent/autonomy/burnRate.ts";
import { loadPolicy } from "../agent/policy/loadPolicy.ts";
import { loadConfig } from "../core/config.ts";
import { silentLogger } from "../core/logger.ts";
import { openDatabase } from "../store/db.ts";
import { SqliteIncidentRepository } from "../store/incidentRepository.ts";
import { SqliteRuntimeSettings } from "../store/runtimeSettings.ts";
import { scalarQuery } from "../tools/prometheus/scalarQuery.ts";

type Report = Awaited<ReturnType<Autonomy["report"]>>;

const pct = (v: number | undefined) => (v === undefined ? "-" : `${(v * 100).toFixed(1)} %`);
const burn = (s: BurnState, w: string) =>
  s.burnRates[w] === undefined ? "-" : `${s.burnRates[w]!.toFixed(1)}×`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** The report as tables for people: SLOs, the record of each action, open breakers. */
export function formatSloReport(report: Report): string {
  const slo: string[][] = [["SERVICE", "SLO", "OBJECTIVE", "BUDGET LEFT", "1h", "5m", "6h", "30m", "STATE"]];
  for (const s of report.slos) {
    for (const [name, state, objective] of [
      ["latency", s.latency, s.latency ? `${s.latency.objective} % < ${s.latency.thresholdMs} ms` : ""],
      ["availability", s.availability, s.availability ? `${s.availability.objective} %` : ""],
    ] as const) {
      if (!state) continue;
      const flag = state.fastBurn
        ? "FAST BURN"
        : state.slowBurn
          ? "slow burn"
          : state.budgetLeft === undefined
            ? "no data"
            : "ok";
      slo.push([
        s.service,
        name,
        objective,
        pct(state.budgetLeft),
        burn(state, "1h"),
        burn(state, "5m"),
        burn(state, "6h"),
        burn(state, "30m"),
        flag,
      ]);
    }
    const h = s.failedHeals;
    slo.push([
      s.service,
      "failed heals",
      `< ${h.maxPerWeek}/week`,
      `${h.maxPerWeek - h.count} left`,
      "",
      "",
      "",
      "",
      h.spent ? "SPENT → approve" : "ok",
    ]);
  }
  const actions: string[][] = [["SERVICE", "ACTION", "SUCCESS", "FAILURE", "PENDING", "RATE", "AUTONOMY"]];
  for (const a of report.actions) {
    const autonomy = a.auto
      ? `auto (accepted by ${a.auto.by})`
      : a.passes
        ? "earned: may be switched to auto"
        : "-";
    actions.push([
      a.service,
      a.action,
      String(a.success),
      String(a.failure),
      String(a.pending),
      pct(a.rate),
      autonomy,
    ]);
  }
  const open = report.breakers.filter((b) => b.open);
  const errors = report.slos.flatMap((s) => s.errors.map((e) => `${s.service}: ${e}`));
  return [
    report.slos.length > 0
      ? table(slo)
      : "No services yet (policy `slos`, or incidents with a `service` label).",
    "",
    report.actions.length > 0 ? table(actions) : "No scored actions yet.",
    "",
    open.length > 0
      ? `Open circuit breakers:\n${open.map((b) => `  ${b.target}: ${b.failures} failed heals, until ${b.openUntil}`).join("\n")}`
      : "No open circuit breakers.",
    ...(errors.length > 0 ? ["", `Could not measure: ${errors.join("; ")}`] : []),
  ].join("\n");
}

/** `aegis slo`: each SLO, its budget left and burn rates, and the autonomy per service and action. */
export function sloCommand(): Command {
  return new Command("slo")
    .description(
      "error budgets, burn rates and earned autonomy per service and action (reads AEGIS_DB and the policy)",
    )
    .option("--json", "print the report as JSON (the same as GET /api/slo)")
    .action(async (opts: { json?: boolean }) => {
      const config = loadConfig();
      const policy = loadPolicy(config.policyPath);
      const db = openDatabase(config.dbPath, "normal");
      try {
        const prometheusUrl = config.prometheusUrl;
        const autonomy = new Autonomy({
          incidents: new SqliteIncidentRepository(db),
          policy,
          settings: new SqliteRuntimeSettings(db),
          ...(prometheusUrl ? { query: scalarQuery(prometheusUrl) } : {}),
          logger: silentLogger(),
        });
        const report = await autonomy.report();
        process.stdout.write(
          opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatSloReport(report)}\n`,
        );
      } finally {
        db.close();
      }
    });
}
