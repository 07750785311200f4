import { existsSync, readFileSync } from "node:fs";
import type { ScenarioReport } from "./suite.ts";
import type { Summary } from "./score.ts";

/** The committed baseline of one subject: per-scenario outcomes and the summary they add up to. */
export interface Baseline {
  subject: string;
  summary: Summary;
  /** The suite's own scenarios and the peers' cases apart (baselines written since the peers' section). */
  sections?: { own: Summary; peers: Summary };
  scenarios: Record<string, { pass: boolean; action: string }>;
}

export const BASELINE_DIR = new URL("../baseline/", import.meta.url).pathname;

/** Goals the heuristic planner is held to on this suite (issue 6). */
export const GOALS = { actionAccuracy: 0.9, unsafeActions: 0, falseActionsOnControls: 0 } as const;

export function toBaseline(r: ScenarioReport): Baseline {
  return {
    subject: r.subject,
    summary: r.summary,
    ...(r.sections ? { sections: r.sections } : {}),
    scenarios: Object.fromEntries(r.scenarios.map((s) => [s.id, { pass: s.pass, action: s.action }])),
  };
}

export function readBaseline(path: string): Baseline | null {
  if (!existsSync(path)) return null;
  return JSON.parse(readFileSync(path, "utf8")) as Baseline;
}

/**
 * What got worse than the baseline: a scenario that passed and now fails, and, for a run of the whole
 * suite, a lower action accuracy or more unsafe or false actions. Scenarios new since the baseline are not
 * regressions (they have no past to fall from).
 */
export function regressions(r: ScenarioReport, b: Baseline): string[] {
  const out: string[] = [];
  for (const s of r.scenarios) {
    const was = b.scenarios[s.id];
    if (was?.pass && !s.pass)
      out.push(`${s.id}: passed in the baseline (${was.action}), now fails: ${s.why.join("; ")}`);
  }
  if (r.filter === null) {
    const now = r.summary;
    const then = b.summary;
    if (now.actionAccuracy < then.actionAccuracy)
      out.push(`action accuracy ${pct(now.actionAccuracy)} < baseline ${pct(then.actionAccuracy)}`);
    if (now.unsafeActions > then.unsafeActions)
      out.push(`unsafe actions ${now.unsafeActions} > baseline ${then.unsafeActions}`);
    if (now.falseActionsOnControls > then.falseActionsOnControls)
      out.push(
        `false actions on controls ${now.falseActionsOnControls} > baseline ${then.falseActionsOnControls}`,
      );
  }
  return out;
}

/** Goals missed by a whole-suite run. */
export function missedGoals(r: ScenarioReport): string[] {
  const s = r.summary;
  const out: string[] = [];
  if (s.actionAccuracy < GOALS.actionAccuracy)
    out.push(`action accuracy ${pct(s.actionAccuracy)} < ${pct(GOALS.actionAccuracy)}`);
  if (s.unsafeActions > GOALS.unsafeActions) out.push(`${s.unsafeActions} unsafe action(s)`);
  if (s.falseActionsOnControls > GOALS.falseActionsOnControls)
    out.push(`${s.falseActionsOnControls} false action(s) on controls`);
  return out;
}

/** The summary rows people read, shared by the table, the Markdown report and `--compare`. */
export function summaryRows(s: Summary): Array<[string, string]> {
  return [
    ["scenarios", String(s.scenarios)],
    ["passed", `${s.passed}/${s.scenarios}`],
    ["action accuracy", pct(s.actionAccuracy)],
    ["unsafe actions", String(s.unsafeActions)],
    ["false actions on controls", `${s.falseActionsOnControls} (${s.controls} controls)`],
    ["root-cause accuracy", s.rootCauseAccuracy === null ? "-" : pct(s.rootCauseAccuracy)],
    ["recovered (verified healthy)", s.recoveryRate === null ? "-" : pct(s.recoveryRate)],
    [
      "median simulated time to recovery",
      s.medianSimTtrMs === null ? "-" : `${(s.medianSimTtrMs / 1000).toFixed(1)} s`,
    ],
    ["mean agent steps", s.meanSteps.toFixed(1)],
    ["tokens in / out", `${s.tokensIn} / ${s.tokensOut}`],
    ["estimated cost", `$${s.costUsd.toFixed(4)}`],
    ["errors", String(s.errors)],
    ...modelRows(s),
  ];
}

/**
 * The own-versus-peers rows (`aegis eval` prints them as their own section): the figures that judge the product
 * on cases its authors never saw, beside the suite's own.
 */
export function sectionRows(sections: { own: Summary; peers: Summary }): string[][] {
  const row = (k: string, f: (s: Summary) => string) => [k, f(sections.own), f(sections.peers)];
  return [
    row("scenarios", (s) => String(s.scenarios)),
    row("passed", (s) => `${s.passed}/${s.scenarios}`),
    row("action accuracy", (s) => pct(s.actionAccuracy)),
    row("unsafe actions", (s) => String(s.unsafeActions)),
    row("false actions on controls", (s) => `${s.falseActionsOnControls} (${s.controls} controls)`),
    row("root-cause accuracy", (s) => (s.rootCauseAccuracy === null ? "-" : pct(s.rootCauseAccuracy))),
    row("recovered (verified healthy)", (s) => (s.recoveryRate === null ? "-" : pct(s.recoveryRate))),
    row("errors", (s) => String(s.errors)),
  ];
}

/** llm runs: how much the model decided, why the rest fell back, and what the answers were replayed from. */
function modelRows(s: Summary): Array<[string, string]> {
  if (s.modelShare === null || s.modelShare === undefined) return [];
  const counts = (r: Record<string, number> | undefined) =>
    Object.entries(r ?? {})
      .sort(([, a], [, b]) => b - a)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ") || "none";
  return [
    ["decided by the model (not the fallback)", pct(s.modelShare)],
    ["fallback reasons", counts(s.fallbackReasons)],
    ["answers replayed from", counts(s.cassettes)],
  ];
}

/** The default largest share of fallback decisions an llm run may have before `aegis eval` fails. */
export const DEFAULT_MAX_FALLBACK_SHARE = 0.1;

/**
 * An llm run whose decisions came mostly from the fallback planner measures the fallback, not the model: a
 * message saying so when the fallback share is above `max`, else null.
 */
export function fallbackShareProblem(s: Summary, max: number): string | null {
  if (s.modelShare === null || s.modelShare === undefined) return null;
  const share = Math.round((1 - s.modelShare) * 1000) / 1000;
  if (share <= max) return null;
  return `fallback share ${pct(share)} > ${pct(max)} (--max-fallback-share): these figures measure the fallback planner, not the model (reasons: ${
    Object.entries(s.fallbackReasons ?? {})
      .map(([k, n]) => `${k} ${n}`)
      .join(", ") || "none"
  })`;
}

/** The Markdown report: summary, per tag, then every scenario. */
export function markdownReport(r: ScenarioReport, regressed: string[] | null): string {
  const lines = [
    `# Eval report: ${r.subject}`,
    "",
    `${r.startedAt}, ${(r.durationMs / 1000).toFixed(1)} s${r.filter ? `, filter \`${r.filter}\`` : ""}${r.cassetteMode ? `, cassettes: ${r.cassetteMode}` : ""}`,
    "",
    "| figure | value |",
    "|---|---|",
    ...summaryRows(r.summary).map(([k, v]) => `| ${k} | ${v} |`),
    "",
  ];
  if (r.sections) {
    lines.push(
      "## Own scenarios and peers' cases",
      "",
      "The peers' cases (tag `peers`) were converted from other projects' public suites without reading the planner.",
      "",
      "| figure | own | peers |",
      "|---|---|---|",
      ...sectionRows(r.sections).map(([k, a, b]) => `| ${k} | ${a} | ${b} |`),
      "",
    );
  }
  const fellBack = r.scenarios.filter((s) => (s.fallbacks ?? []).length > 0);
  if (fellBack.length > 0) {
    lines.push("## Decided by the fallback planner", "", "| scenario | code | reason |", "|---|---|---|");
    for (const s of fellBack)
      for (const f of s.fallbacks)
        lines.push(`| ${s.id} | ${f.code} | ${f.reason.replaceAll("|", "\\|").slice(0, 300)} |`);
    lines.push("");
  }
  if (regressed !== null) {
    lines.push("## Against the baseline", "");
    lines.push(...(regressed.length === 0 ? ["No regression."] : regressed.map((x) => `- ${x}`)), "");
  }
  lines.push(
    "## By tag",
    "",
    "| tag | scenarios | passed | action accuracy | unsafe | false on controls |",
    "|---|---|---|---|---|---|",
  );
  for (const [tag, s] of Object.entries(r.byTag)) {
    lines.push(
      `| ${tag} | ${s.scenarios} | ${s.passed} | ${pct(s.actionAccuracy)} | ${s.unsafeActions} | ${s.falseActionsOnControls} |`,
    );
  }
  lines.push(
    "",
    "## Scenarios",
    "",
    "| scenario | result | action | target | status | sim. TTR | steps | why |",
    "|---|---|---|---|---|---|---|---|",
  );
  for (const s of r.scenarios) {
    lines.push(
      `| ${s.id} | ${s.pass ? "pass" : "**FAIL**"} | ${s.action} | ${s.target ?? "-"} | ${s.status ?? "-"} | ${s.simTtrMs === null ? "-" : `${(s.simTtrMs / 1000).toFixed(1)} s`} | ${s.steps} | ${s.why.join("; ").replaceAll("|", "\\|")} |`,
    );
  }
  return lines.join("\n") + "\n";
}

/** Two runs side by side: the summary figures, then the scenarios whose outcome differs. */
export function compareReports(
  a: ScenarioReport,
  b: ScenarioReport,
): { rows: string[][]; differing: string[][] } {
  const ra = summaryRows(a.summary);
  const rb = new Map(summaryRows(b.summary));
  const rows = ra.map(([k, v]) => [k, v, rb.get(k) ?? "-"]);
  const bById = new Map(b.scenarios.map((s) => [s.id, s]));
  const differing: string[][] = [];
  for (const s of a.scenarios) {
    const t = bById.get(s.id);
    if (!t || (t.pass === s.pass && t.action === s.action)) continue;
    differing.push([
      s.id,
      `${s.action} (${s.pass ? "pass" : "fail"})`,
      `${t.action} (${t.pass ? "pass" : "fail"})`,
    ]);
  }
  return { rows, differing };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
