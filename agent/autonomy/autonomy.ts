import { ACTION_RISK, type ActionId } from "../../core/catalog.ts";
import { describeError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import type { Incident, IncidentStatus } from "../../core/types.ts";
import type { IncidentRepository } from "../../store/incidentRepository.ts";
import type { RuntimeSettings } from "../../store/runtimeSettings.ts";
import type { Policy, PolicyMode } from "../policy/schema.ts";
import { burnState, FAST_WINDOWS, SLOW_WINDOWS, type BurnState } from "./burnRate.ts";
import { finishedAt, isFailedAutoHeal, scoreOf, serviceOf } from "./record.ts";

/** Runtime settings kinds this module keeps (who and when with each). */
export const EARNED_AUTO = "earned_auto";
export const BUDGET_RESET = "heal_budget_reset";
export const BREAKER_RESET = "breaker_reset";
export const AUTO_PROPOSAL = "auto_proposal";

const WEEK_MS = 7 * 86_400_000;

export interface AutonomyDeps {
  incidents: Pick<IncidentRepository, "list">;
  policy: Policy;
  settings: RuntimeSettings;
  /** One number from a PromQL expression (first series), undefined without data; absent without Prometheus. */
  query?: (promql: string) => Promise<number | undefined>;
  logger: Logger;
  now?: () => number;
}

/** A service's SLOs now. */
export interface SloReport {
  service: string;
  latency?: BurnState & { thresholdMs: number };
  availability?: BurnState;
  failedHeals: { count: number; maxPerWeek: number; spent: boolean; since: string };
  /** Prometheus could not be read: the user-facing SLOs are unknown, not healthy. */
  errors: string[];
}

/** The record of one action on one service, scored afterwards. */
export interface ActionRecordScore {
  service: string;
  action: ActionId;
  success: number;
  failure: number;
  pending: number;
  rate: number | undefined;
  /** The record passes the policy's bar (autonomy.earned). */
  passes: boolean;
  /** An approver switched this action to auto (reversible). */
  auto: { by: string; at: string } | undefined;
}

export interface BreakerState {
  target: string;
  failures: number;
  open: boolean;
  openUntil: string | undefined;
}

/** What the guard asked about, and what autonomy makes of its mode. */
export interface SteerInput {
  mode: PolicyMode;
  action: ActionId;
  target: string;
  service: string | undefined;
}
export type SteerResult = { mode: PolicyMode | "blocked"; reasons: string[] };

/**
 * Autonomy from evidence: the SLOs' error budgets and burn rates, the failed-heal budget, a circuit breaker per
 * target, and the record of actions people were asked about. The guard asks it to adjust a mode; the API,
 * the CLI and Slack read its report.
 */
export class Autonomy {
  private readonly now: () => number;

  constructor(private readonly deps: AutonomyDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Adjust the policy's mode for one action: an open breaker blocks; an action an approver switched to auto
   * runs without waiting; so do the configured low-risk tiers while a user-facing budget burns fast; a spent
   * failed-heal budget brings the service back to approve (this wins over the two before).
   */
  async steer(input: SteerInput): Promise<SteerResult> {
    const reasons: string[] = [];
    const breaker = await this.breaker(input.target);
    if (breaker.open) {
      return {
        mode: "blocked",
        reasons: [
          `circuit breaker open on ${input.target}: ${breaker.failures} failed heal(s) in ${this.deps.policy.autonomy.breaker.windowMinutes} min; no action until ${breaker.openUntil} or an approver resets it`,
        ],
      };
    }
    let mode = input.mode;
    if (!input.service || mode === "advise") return { mode, reasons };
    if (mode === "approve") {
      const earned = await this.deps.settings.get<{ mode: string }>(
        EARNED_AUTO,
        `${input.service}/${input.action}`,
      );
      if (earned) {
        mode = "auto";
        reasons.push(`${input.action} on ${input.service} earned auto (accepted by ${earned.changedBy})`);
      } else if (this.deps.policy.autonomy.fastBurnSkipsApproval.includes(ACTION_RISK[input.action])) {
        const slo = await this.slo(input.service);
        const burning = [slo.latency, slo.availability].find((s) => s?.fastBurn);
        if (burning) {
          mode = "auto";
          reasons.push(
            `${input.service}'s error budget burns fast (${burning.burnRates["1h"]?.toFixed(1)}× over 1h): ${ACTION_RISK[input.action]}-risk actions do not wait`,
          );
        }
      }
    }
    if (mode === "auto") {
      const heals = await this.failedHeals(input.service);
      if (heals.spent) {
        mode = "approve";
        reasons.push(
          `${input.service} spent its failed-heal budget (${heals.count} failed auto-heals in 7 days, budget ${heals.maxPerWeek}): back to approve`,
        );
      }
    }
    return { mode, reasons };
  }

  /** The failed auto-heals of a service in the last 7 days (since an approver's reset). */
  async failedHeals(service: string): Promise<SloReport["failedHeals"]> {
    const maxPerWeek = this.deps.policy.slos[service]?.failedHeals.maxPerWeek ?? 5;
    const reset = await this.deps.settings.get(BUDGET_RESET, service);
    const since = Math.max(this.now() - WEEK_MS, reset ? Date.parse(reset.changedAt) : 0);
    const failed = (await this.recent(["failed"])).filter(
      (i) => serviceOf(i) === service && isFailedAutoHeal(i) && finishedAt(i) > since,
    );
    return {
      count: failed.length,
      maxPerWeek,
      spent: failed.length >= maxPerWeek,
      since: new Date(since).toISOString(),
    };
  }

  /** The circuit breaker of one target. */
  async breaker(target: string): Promise<BreakerState> {
    const b = this.deps.policy.autonomy.breaker;
    const reset = await this.deps.settings.get(BREAKER_RESET, target);
    const after = reset ? Date.parse(reset.changedAt) : 0;
    const failures = (await this.recent(["failed"]))
      .filter((i) => i.target.key === target && i.actions.length > 0 && finishedAt(i) > after)
      .map(finishedAt)
      .sort((x, y) => y - x);
    const last = failures[0];
    const inWindow = last === undefined ? [] : failures.filter((t) => last - t <= b.windowMinutes * 60_000);
    const openUntil = last === undefined ? undefined : last + b.cooldownMinutes * 60_000;
    const open = inWindow.length >= b.failures && openUntil !== undefined && this.now() < openUntil;
    return {
      target,
      failures: inWindow.length,
      open,
      openUntil: open && openUntil !== undefined ? new Date(openUntil).toISOString() : undefined,
    };
  }

  /** One service's SLOs: burn rates and budgets from Prometheus, failed heals from the incident log. */
  async slo(service: string): Promise<SloReport> {
    const cfg = this.deps.policy.slos[service];
    const errors: string[] = [];
    const a = this.deps.policy.autonomy;
    const period = `${a.sloPeriodDays}d`;
    const measure = async (query: string, objective: number) => {
      const ratios: Record<string, number | undefined> = {};
      for (const w of [...FAST_WINDOWS, ...SLOW_WINDOWS, period]) {
        if (!this.deps.query) break;
        try {
          ratios[w] = await this.deps.query(query.replaceAll("$window", w));
        } catch (err) {
          errors.push(`${w}: ${describeError(err)}`);
          break;
        }
      }
      return burnState(objective, ratios, period, a.burnRate);
    };
    const report: SloReport = { service, failedHeals: await this.failedHeals(service), errors };
    if (cfg?.latency) {
      report.latency = {
        ...(await measure(cfg.latency.slowRatio, cfg.latency.objective)),
        thresholdMs: cfg.latency.thresholdMs,
      };
    }
    if (cfg?.availability)
      report.availability = await measure(cfg.availability.errorRatio, cfg.availability.objective);
    if ((cfg?.latency || cfg?.availability) && !this.deps.query) errors.push("PROMETHEUS_URL is not set");
    return report;
  }

  /** The scored record of one action on one service over the policy's window. */
  async record(service: string, action: ActionId): Promise<ActionRecordScore> {
    const e = this.deps.policy.autonomy.earned;
    const since = this.now() - e.windowDays * 86_400_000;
    const counts = { success: 0, failure: 0, pending: 0 };
    for (const i of await this.recent(["resolved", "failed", "escalated", "advised"])) {
      if (serviceOf(i) !== service || i.decision?.action !== action || Date.parse(i.receivedAt) < since)
        continue;
      const s = scoreOf(i, this.now());
      if (s !== "not_scored") counts[s]++;
    }
    const scored = counts.success + counts.failure;
    const rate = scored > 0 ? counts.success / scored : undefined;
    const auto = await this.deps.settings.get(EARNED_AUTO, `${service}/${action}`);
    return {
      service,
      action,
      ...counts,
      rate,
      passes: scored >= e.minIncidents && rate !== undefined && rate >= e.successRate,
      auto: auto ? { by: auto.changedBy, at: auto.changedAt } : undefined,
    };
  }

  /** Every service and action with a record, and every SLO: what `GET /api/slo` and `aegis slo` show. */
  async report(): Promise<{ slos: SloReport[]; actions: ActionRecordScore[]; breakers: BreakerState[] }> {
    const incidents = await this.recent(["resolved", "failed", "escalated", "advised"]);
    const services = new Set([
      ...Object.keys(this.deps.policy.slos),
      ...incidents.map(serviceOf).filter((s): s is string => !!s),
    ]);
    const slos = [];
    for (const s of [...services].sort()) slos.push(await this.slo(s));
    const pairs = new Map<string, [string, ActionId]>();
    for (const i of incidents) {
      const s = serviceOf(i);
      if (s && i.decision && i.decision.action !== "none")
        pairs.set(`${s}/${i.decision.action}`, [s, i.decision.action]);
    }
    const actions = [];
    for (const [s, a] of [...pairs.values()].sort()) actions.push(await this.record(s, a));
    const targets = new Set(incidents.filter((i) => i.status === "failed").map((i) => i.target.key));
    const breakers = [];
    for (const t of targets) breakers.push(await this.breaker(t));
    return { slos, actions, breakers };
  }

  /** An approver's one-click acceptance of a proposal (or `/aegis`): the action runs without waiting. */
  async acceptAuto(service: string, action: ActionId, by: string): Promise<void> {
    await this.deps.settings.set(EARNED_AUTO, `${service}/${action}`, { mode: "auto" }, by);
  }

  /** Undo an acceptance: the action waits for approval again. */
  async revokeAuto(service: string, action: ActionId, by: string): Promise<void> {
    await this.deps.settings.set(EARNED_AUTO, `${service}/${action}`, null, by);
  }

  /** Start counting failed heals afresh (an approver looked into them). */
  async resetBudget(service: string, by: string): Promise<void> {
    await this.deps.settings.set(BUDGET_RESET, service, { reset: true }, by);
  }

  /** Close a target's breaker: earlier failures no longer count. */
  async resetBreaker(target: string, by: string): Promise<void> {
    await this.deps.settings.set(BREAKER_RESET, target, { reset: true }, by);
  }

  private async recent(statuses: IncidentStatus[]): Promise<Incident[]> {
    const out: Incident[] = [];
    for (const status of statuses) out.push(...(await this.deps.incidents.list({ status, limit: 500 })));
    return out;
  }
}
