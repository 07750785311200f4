import type { Alert } from "../core/alert.ts";
import type { Logger } from "../core/logger.ts";
import type { Signal } from "../core/types.ts";
import type { FixMemory } from "../runbooks/memory/fixMemory.ts";
import type { ActionLedger } from "../store/actionLedger.ts";
import type { IncidentRepository } from "../store/incidentRepository.ts";
import type { Autonomy } from "./autonomy/autonomy.ts";
import type { Notifier } from "./notifier.ts";
import type { Planner } from "./planners/planner.ts";
import type { Platform } from "./platforms/platform.ts";
import type { Policy, PolicyMode } from "./policy/schema.ts";
import type { SelfIdentity } from "./policy/selfProtection.ts";
import type { Silence } from "../tools/alertmanager/silences.ts";
import type { Currentness } from "./currentness/currentness.ts";

/** A point in the act step where a test can make the process die (crash-safety tests only). */
export type CrashPoint = "before_action" | "after_action";

/** Everything the graph's nodes use, built once at start-up and passed in. */
export interface AgentDeps {
  incidents: IncidentRepository;
  ledger: ActionLedger;
  memory: FixMemory;
  planner: Planner;
  policy: Policy;
  platforms: Platform[];
  notifier: Notifier;
  logger: Logger;
  settings: {
    /** AEGIS_MODE: the mode when the policy file does not say. */
    mode: PolicyMode;
    verifyTimeoutMs: number;
    verifyIntervalMs: number;
  };
  /** Error budgets, the circuit breaker and earned autonomy adjust the policy's mode (absent: the policy alone). */
  autonomy?: Pick<Autonomy, "steer">;
  /** Alertmanager's active silences (with ALERTMANAGER_URL): a silenced incident is dismissed at triage. */
  silences?: () => Promise<Silence[]>;
  /**
   * With ALERTMANAGER_URL or PROMETHEUS_URL: right before acting, whether the alerts still hold (resolved in
   * Alertmanager, or the expression back to normal → no action).
   */
  currentness?: Currentness;
  crashHook?: (point: CrashPoint) => void;
  /** AegisOps' own container, pod and node: never acted on (triage dismisses, the guard blocks). */
  self?: SelfIdentity;
  /** Waits between verification polls and before retries (a simulated clock in evals). */
  sleep?: (ms: number) => Promise<void>;
  /**
   * The predictive watcher's own forecasts behind the incident's alerts (never read from alert labels,
   * which anyone who can post a webhook controls): signals investigation adds to the platform's evidence.
   */
  predictions?: { signalsFor(alerts: readonly Alert[]): Signal[] };
  /** Epoch milliseconds for verification deadlines (a simulated clock in evals); Date.now by default. */
  now?: () => number;
}
