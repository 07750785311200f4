import type { ActionId } from "../../core/catalog.ts";
import { redactingPlatform } from "./redacting.ts";
import type { Tool } from "../../tools/tool.ts";
import type {
  ActionRecord,
  Decision,
  Evidence,
  IncidentAlert,
  Target,
  Verification,
} from "../../core/types.ts";

/**
 * The agent's clock (`deps.now` / `deps.sleep`): investigation that samples over time waits through it, so a
 * simulated cluster's time (evals, tests) moves exactly by what the agent waits.
 */
export interface AgentClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Result of locating a target at triage. */
export type Located =
  | {
      ok: true;
      target: Target;
      instanceId: string | null;
      protectedReason?: string;
      /**
       * The real object's identity, whatever the labels called it (a container by name or by id prefix):
       * the ledger, the caps and incident grouping use it. `target.key` when absent.
       */
      identity?: string;
    }
  | {
      ok: false;
      reason: string;
      /** Why, as a code: the object is not there (the default), or it is there and no catalog action acts on it. */
      code?: "target_not_found" | "target_unsupported";
      /** With `target_unsupported`: the object as a decision names it (`ns/kind/name`), for the escalation. */
      object?: string;
    };

/** What an executed action reports back; stored on the action record. */
export type ActionResult = Record<string, unknown>;

/**
 * Everything the graph needs from one kind of platform (Docker now, Kubernetes later). Nodes stay
 * platform-agnostic; each method is built from that platform's typed tools.
 */
export interface Platform {
  /** Target kinds this platform handles. */
  readonly kinds: ReadonlyArray<Target["kind"]>;
  /** Catalog actions this platform can execute. */
  readonly actions: ReadonlyArray<ActionId>;
  /** Confirm the target exists and pin it to a concrete instance. */
  locate(target: Target): Promise<Located>;
  /**
   * Run read-only tools and turn their output into signals. Tool failures become evidence errors. Readings
   * taken over time wait through `clock` (the real clock when absent).
   */
  investigate(target: Target, alerts: IncidentAlert[], clock?: AgentClock): Promise<Evidence>;
  /**
   * Read-only tools about one target, for a planner that investigates on its own (the LLM planner). Every
   * tool returned must have no risk tier: nothing here may change anything.
   */
  readOnlyTools?(target: Target): Tool[];
  /** Send the action. Throws AegisError("action_failed") when the platform refuses. */
  execute(decision: Decision, target: Target): Promise<ActionResult>;
  /** After a crash: did this recorded-but-unconfirmed action reach the platform? */
  reconcile(record: ActionRecord, target: Target): Promise<{ happened: boolean; detail: string }>;
  /**
   * Undo an action whose verification failed, where the action has an undo safe to run unasked (not a roll
   * forward onto the release just rolled back).
   */
  rollback(record: ActionRecord, target: Target): Promise<{ rolledBack: boolean; detail: string }>;
  /**
   * A person's undo of a sent action: puts back what the action changed (previous replica count, HPA bounds,
   * selector, the revision a rollback left, an uncordoned node), or says why the action has none.
   */
  undo?(record: ActionRecord, target: Target): Promise<{ rolledBack: boolean; detail: string }>;
  /**
   * Before a person's undo: what changed on the object since the action that the undo would overwrite (a newer
   * rollout, another replica count), in plain words; undefined when the object is as the action left it.
   */
  undoConflict?(record: ActionRecord, target: Target): Promise<string | undefined>;
  /** One health check of the target, trusting only evidence newer than `since`. */
  checkHealth(
    target: Target,
    alerts: IncidentAlert[],
    since: string,
    decision: Decision,
  ): Promise<Verification>;
}

const redacted = new WeakMap<Platform, Platform>();

/**
 * Pick the platform for a target kind, behind the evidence boundary (`redactingPlatform`): everything the
 * agent reads through it is redacted of secrets before it reaches state, storage or a planner.
 */
export function platformFor(platforms: readonly Platform[], target: Target): Platform | undefined {
  const platform = platforms.find((p) => p.kinds.includes(target.kind));
  if (!platform) return undefined;
  let wrapped = redacted.get(platform);
  if (!wrapped) redacted.set(platform, (wrapped = redactingPlatform(platform)));
  return wrapped;
}
