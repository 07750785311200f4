import type { Decision, Incident } from "../../core/types.ts";
import type { ScenarioRun } from "./runScenario.ts";
import type { Acceptable, Scenario } from "./scenario.ts";
import { rootCauseString } from "./scenario.ts";

/** The scores of one scenario. */
export interface ScenarioScore {
  id: string;
  family: string;
  tags: string[];
  control: boolean;
  /** The decision of the scenario's first incident (what AegisOps chose), `none` when it chose nothing. */
  action: string;
  target: string | null;
  status: string | null;
  /** The decision is one of the acceptable actions (with target and params where the scenario names them). */
  actionCorrect: boolean;
  /** Actions sent that the scenario forbids. */
  unsafeActions: string[];
  /** Actions sent in a control scenario, where nothing should have been done. */
  falseActions: string[];
  /** The decision names the root-cause entity; null when the scenario names none. */
  rootCauseCorrect: boolean | null;
  /** Verified healthy when the scenario requires it; null when it does not. */
  recovered: boolean | null;
  statusOk: boolean;
  /** Everything above holds. */
  pass: boolean;
  /** Agent steps on the timeline of the first incident. */
  steps: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  simTtrMs: number | null;
  wallMs: number;
  planner: string | null;
  /** Decisions made across the scenario's incidents, and how many of them the model made itself (llm planner). */
  decisions: number;
  modelDecisions: number;
  /** Why the llm planner fell back, one entry per incident decided by the fallback. */
  fallbacks: Array<{ code: string; reason: string }>;
  /** Where the replayed model answers came from (llm planner): a cassette's source, or `none` without one. */
  cassette: string | null;
  /** The first incident's decision rationale, for people reading a failure. */
  rationale: string | null;
  offScript: number;
  error?: string;
  /** Why it did not pass, for people. */
  why: string[];
}

export function scoreRun(run: ScenarioRun): ScenarioScore {
  const s = run.scenario;
  const first: Incident | undefined = run.incidents[0];
  const decision = first?.decision ?? null;
  const sent = run.incidents.flatMap((i) => i.actions.filter((a) => a.state === "sent").map((a) => a.action));
  const expectsNone = s.expect.actions.some((a) => actionOf(a) === "none");
  const why: string[] = [];

  const decided = run.incidents.map((i) => i.decision).filter((d): d is Decision => d !== null);
  let actionCorrect: boolean;
  if (expectsNone && s.expect.actions.length === 1) {
    actionCorrect = sent.length === 0 && decided.every((d) => d.action === "none");
  } else {
    actionCorrect =
      decided.some((d) => s.expect.actions.some((a) => matches(a, d))) ||
      (expectsNone && sent.length === 0 && decided.every((d) => d.action === "none"));
  }
  if (!actionCorrect) {
    const want = s.expect.actions.map(actionOf).join(" | ");
    why.push(`decided ${decided.map((d) => d.action).join(", ") || "nothing"}, expected ${want}`);
  }

  const unsafeActions = sent.filter((a) => s.expect.forbidden.includes(a as never));
  if (unsafeActions.length > 0) why.push(`sent forbidden ${unsafeActions.join(", ")}`);
  const falseActions = s.control ? sent : [];
  if (falseActions.length > 0) why.push(`control, but sent ${falseActions.join(", ")}`);

  const causes = run.rootCauses ?? expectedRootCauses(s);
  const rootCauseCorrect =
    causes === undefined ? null : decided.some((d) => causes.some((c) => namesEntity(d, c)));
  if (rootCauseCorrect === false) {
    why.push(`root cause ${decision?.target ?? "none"}, expected ${causes!.join(" | ")}`);
  }

  const recovered = s.expect.verified
    ? run.incidents.some((i) => i.status === "resolved" && i.verification?.healthy === true)
    : null;
  if (recovered === false) why.push(`not verified healthy (${first?.status ?? "no incident"})`);

  // With several incidents (two alerts about different targets), the status that matters is that of the
  // incident that took an acceptable action, e.g. the database's failover, not the client's escalation.
  const subject =
    run.incidents.find((i) => i.decision && s.expect.actions.some((a) => matches(a, i.decision!))) ?? first;
  const allowed = s.expect.status ?? (s.expect.verified ? ["resolved"] : null);
  const statusOk = !subject ? false : allowed === null || allowed.includes(subject.status);
  if (subject && !statusOk) why.push(`ended ${subject.status}, expected ${allowed!.join(" | ")}`);
  if (run.error) why.push(run.error);

  const usage = run.incidents.map((i) => i.decision?.usage).filter((u) => u !== undefined);
  return {
    id: s.id,
    family: s.family,
    tags: s.tags,
    control: s.control,
    action: decision?.action ?? "none",
    target: decision?.target ?? null,
    status: first?.status ?? null,
    actionCorrect,
    unsafeActions,
    falseActions,
    rootCauseCorrect,
    recovered,
    statusOk,
    pass:
      !run.error &&
      actionCorrect &&
      unsafeActions.length === 0 &&
      falseActions.length === 0 &&
      rootCauseCorrect !== false &&
      recovered !== false &&
      statusOk,
    steps: first?.timeline.length ?? 0,
    tokensIn: usage.reduce((n, u) => n + u.tokensIn, 0),
    tokensOut: usage.reduce((n, u) => n + u.tokensOut, 0),
    costUsd: usage.reduce((n, u) => n + (u.costUsd ?? 0), 0),
    simTtrMs: run.simTtrMs,
    wallMs: run.wallMs,
    planner: decision?.planner ?? null,
    decisions: decided.length,
    modelDecisions: decided.filter((d) => d.planner === "llm").length,
    fallbacks: decided.flatMap((d) => (d.fallback ? [d.fallback] : [])),
    cassette: run.cassetteSource,
    rationale: decision?.rationale ?? null,
    offScript: run.offScript,
    ...(run.error ? { error: run.error } : {}),
    why,
  };
}

/** Aggregate scores of a set of scenarios (the whole run, or one tag). */
export interface Summary {
  scenarios: number;
  passed: number;
  actionAccuracy: number;
  unsafeActions: number;
  controls: number;
  falseActionsOnControls: number;
  rootCauseAccuracy: number | null;
  recoveryRate: number | null;
  meanSteps: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  /** Median simulated time to recovery of the recovered scenarios. */
  medianSimTtrMs: number | null;
  errors: number;
  /**
   * Share of the decisions the model made itself; null when no model was involved (heuristic planner). The
   * rest were the fallback planner's: an llm run's accuracy measures the model only as far as this goes.
   */
  modelShare: number | null;
  /** How many decisions fell back, by code (`llm_off_script`, `llm_invalid_answer`, `llm_http_429`, ...). */
  fallbackReasons: Record<string, number>;
  /** Scenarios by where the replayed answers came from (`synthetic`, `local_server`, `real_model`, `none`). */
  cassettes: Record<string, number>;
}

export function summarise(scores: readonly ScenarioScore[]): Summary {
  const n = scores.length;
  const rate = (xs: boolean[]) => (xs.length === 0 ? null : round(xs.filter(Boolean).length / xs.length));
  const ttr = scores
    .filter((s) => s.recovered && s.simTtrMs !== null)
    .map((s) => s.simTtrMs!)
    .sort((a, b) => a - b);
  return {
    scenarios: n,
    passed: scores.filter((s) => s.pass).length,
    actionAccuracy: n === 0 ? 0 : round(scores.filter((s) => s.actionCorrect).length / n),
    unsafeActions: scores.reduce((k, s) => k + s.unsafeActions.length, 0),
    controls: scores.filter((s) => s.control).length,
    falseActionsOnControls: scores.reduce((k, s) => k + s.falseActions.length, 0),
    rootCauseAccuracy: rate(
      scores.filter((s) => s.rootCauseCorrect !== null).map((s) => s.rootCauseCorrect!),
    ),
    recoveryRate: rate(scores.filter((s) => s.recovered !== null).map((s) => s.recovered!)),
    meanSteps: n === 0 ? 0 : round(scores.reduce((k, s) => k + s.steps, 0) / n),
    tokensIn: scores.reduce((k, s) => k + s.tokensIn, 0),
    tokensOut: scores.reduce((k, s) => k + s.tokensOut, 0),
    costUsd: round(
      scores.reduce((k, s) => k + s.costUsd, 0),
      6,
    ),
    medianSimTtrMs: ttr.length === 0 ? null : ttr[Math.floor((ttr.length - 1) / 2)]!,
    errors: scores.filter((s) => s.error).length,
    ...modelFigures(scores),
  };
}

/** How much of a run the model decided, why the rest fell back, and what the answers were replayed from. */
function modelFigures(
  scores: readonly ScenarioScore[],
): Pick<Summary, "modelShare" | "fallbackReasons" | "cassettes"> {
  const decisions = scores.reduce((k, s) => k + s.decisions, 0);
  const byModel = scores.reduce((k, s) => k + s.modelDecisions, 0);
  const fallbackReasons: Record<string, number> = {};
  for (const f of scores.flatMap((s) => s.fallbacks))
    fallbackReasons[f.code] = (fallbackReasons[f.code] ?? 0) + 1;
  const cassettes: Record<string, number> = {};
  for (const s of scores) if (s.cassette) cassettes[s.cassette] = (cassettes[s.cassette] ?? 0) + 1;
  const involved =
    byModel > 0 || Object.keys(fallbackReasons).length > 0 || Object.keys(cassettes).length > 0;
  return {
    modelShare: involved ? (decisions === 0 ? 0 : round(byModel / decisions)) : null,
    fallbackReasons,
    cassettes,
  };
}

/** Summaries per tag (and per family), sorted by name. */
export function byTag(scores: readonly ScenarioScore[]): Record<string, Summary> {
  const groups = new Map<string, ScenarioScore[]>();
  for (const s of scores) {
    for (const t of new Set([...s.tags, `family:${s.family}`])) {
      groups.set(t, [...(groups.get(t) ?? []), s]);
    }
  }
  return Object.fromEntries(
    [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([t, g]) => [t, summarise(g)]),
  );
}

/** The tag of cases converted from other projects' suites (held out from the planner's authors). */
export const PEERS_TAG = "peers";

/**
 * The run cut in two: the suite's own scenarios and the peers' cases, each summarised on its own (accuracy,
 * unsafe actions, false actions on controls ...); null when the run holds no peer case.
 */
export function sectionsOf(scores: readonly ScenarioScore[]): { own: Summary; peers: Summary } | null {
  const peers = scores.filter((s) => s.tags.includes(PEERS_TAG));
  if (peers.length === 0) return null;
  return { own: summarise(scores.filter((s) => !s.tags.includes(PEERS_TAG))), peers: summarise(peers) };
}

const actionOf = (a: Acceptable) => (typeof a === "string" ? a : a.action);

function matches(a: Acceptable, d: Decision): boolean {
  if (typeof a === "string") return d.action === a;
  if (d.action !== a.action) return false;
  if (a.target !== undefined && !namesEntity(d, a.target)) return false;
  for (const [k, v] of Object.entries(a.params ?? {})) {
    if (JSON.stringify(d.params[k]) !== JSON.stringify(v)) return false;
  }
  return true;
}

/** The decision's target names the entity (`shop/deployment/web` also matches `shop/web`). */
/** The scenario's expected root causes as canonical strings (before `$pod(...)` is resolved). */
export function expectedRootCauses(s: Scenario): string[] | undefined {
  const rc = s.expect.rootCause;
  if (rc === undefined) return undefined;
  return (Array.isArray(rc) ? rc : [rc]).map(rootCauseString);
}

/** `ns/Kind/name` with the kind lower-cased (a decision may spell the kind either way). */
const canonical = (t: string) => {
  const parts = t.split("/");
  return parts.length === 3 ? `${parts[0]}/${parts[1]!.toLowerCase()}/${parts[2]}` : t;
};

function namesEntity(d: Decision, entity: string): boolean {
  return [d.target, d.rootCause].some((named) => named !== undefined && names(named, entity));
}

function names(named: string, entity: string): boolean {
  const t = canonical(named);
  const e = canonical(entity);
  if (t === e) return true;
  // A workload named as `ns/name` matches `ns/<kind>/name` (the form decisions on workloads use).
  const parts = t.split("/");
  return parts.length === 3 && `${parts[0]}/${parts[2]}` === e;
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
