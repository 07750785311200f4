import { isTerminal, undoOf, type Incident } from "../core/types.ts";
import { counter, histogram, scrapeGauge, type MetricsRegistry } from "./metrics.ts";

/** Upper bounds (seconds) from the first alert to verified healthy: a fast restart up to an hour's struggle. */
const RECOVERY_BUCKETS = [5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600];

/** How many incident ids are remembered so a decision or an outcome is counted once. */
const REMEMBERED = 10_000;

/** What the agent's runner can say about its own load. */
export interface QueueStats {
  queued: number;
  inFlight: number;
}

/** The agent-side metrics: fed with an incident each time a run of it ends. */
export interface IncidentMetrics {
  /** Count what this incident adds (its decision once, its outcome once when finished). */
  record(incident: Incident): void;
}

/**
 * Register the agent's metrics: incidents finished by status, actions by type and outcome, alert → verified
 * seconds, the planner's decisions and fallbacks, LLM tokens and cost, and (read at scrape time) the queue.
 * `configuredPlanner` is the planner the process was started with: a decision from another one is a fallback.
 */
export function registerIncidentMetrics(
  registry: MetricsRegistry,
  opts: { configuredPlanner: string; queue?: () => QueueStats },
): IncidentMetrics {
  const finished = counter(
    registry,
    "aegis_incidents_finished_total",
    "Incidents the agent finished, by final status.",
    ["status"],
  );
  const actions = counter(
    registry,
    "aegis_actions_total",
    "Healing actions, by catalog action and outcome (verified, unverified, failed, skipped).",
    ["action", "outcome"],
  );
  const recovery = histogram(
    registry,
    "aegis_alert_to_verified_seconds",
    "Seconds from the incident's first alert to the verification that found the target healthy.",
    RECOVERY_BUCKETS,
  );
  const decisions = counter(
    registry,
    "aegis_planner_decisions_total",
    "Decisions made, by the planner that made them and the action chosen.",
    ["planner", "action"],
  );
  const fallbacks = counter(
    registry,
    "aegis_planner_fallbacks_total",
    "Decisions the configured planner could not make, taken by its fallback instead.",
    ["configured", "used"],
  );
  const tokens = counter(registry, "aegis_llm_tokens_total", "LLM tokens spent on decisions.", [
    "model",
    "direction",
  ]);
  const calls = counter(
    registry,
    "aegis_llm_calls_total",
    "LLM completions answered for decisions (a failed request is not counted).",
    ["model"],
  );
  const cost = counter(
    registry,
    "aegis_llm_cost_usd_total",
    "Estimated LLM cost of decisions in US dollars (list prices; models without a known price add 0).",
    ["model"],
  );
  for (const status of ["resolved", "failed", "escalated"]) finished.inc({ status }, 0);
  fallbacks.inc({ configured: opts.configuredPlanner, used: "heuristic" }, 0);

  if (opts.queue) {
    const queue = opts.queue;
    scrapeGauge(
      registry,
      "aegis_agent_queue_depth",
      "Incidents queued for the agent and not yet started.",
      [],
      async () => [{ value: queue().queued }],
    );
    scrapeGauge(
      registry,
      "aegis_agent_runs_in_flight",
      "Incident runs the agent is working on now.",
      [],
      async () => [{ value: queue().inFlight }],
    );
  }

  const decided = new RememberedIds(REMEMBERED);
  const done = new RememberedIds(REMEMBERED);

  return {
    record(incident) {
      const d = incident.decision;
      if (d && decided.add(incident.id)) {
        decisions.inc({ planner: d.planner, action: d.action });
        if (d.planner !== opts.configuredPlanner) {
          fallbacks.inc({ configured: opts.configuredPlanner, used: d.planner });
        }
        if (d.usage) {
          const model = d.usage.model;
          tokens.inc({ model, direction: "in" }, d.usage.tokensIn);
          tokens.inc({ model, direction: "out" }, d.usage.tokensOut);
          calls.inc({ model }, d.usage.calls);
          cost.inc({ model }, d.usage.costUsd ?? 0);
        }
      }
      if (!isTerminal(incident.status) || !done.add(incident.id)) return;
      finished.inc({ status: incident.status });
      for (const a of actionOutcomes(incident)) actions.inc(a);
      if (incident.status === "resolved" && incident.mttrMs !== null)
        recovery.observe(incident.mttrMs / 1000);
    },
  };
}

/** Outcome of each action a finished incident took: the last one sent is verified when the incident resolved. */
export type ActionOutcome = "verified" | "unverified" | "failed" | "skipped";

/** Each action of a finished incident with its outcome (metrics and the dashboard classify alike). */
export function actionOutcomes(incident: Incident): Array<{ action: string; outcome: ActionOutcome }> {
  // A person's undo is recorded in the ledger too, but it is not one of the incident's healing actions.
  const actions = incident.actions.filter((a) => undoOf(a) === undefined);
  const last = actions.filter((a) => a.state === "sent").at(-1);
  return actions.map((a) => ({
    action: a.action,
    outcome:
      a.state === "failed" || a.state === "skipped"
        ? a.state
        : a === last && incident.status === "resolved"
          ? "verified"
          : "unverified",
  }));
}

/** A bounded set of ids: `add` is true the first time an id is seen (the oldest are forgotten first). */
class RememberedIds {
  private readonly ids = new Set<string>();
  constructor(private readonly max: number) {}

  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value!);
    return true;
  }
}
