import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import type { AgentDeps } from "../../agent/deps.ts";
import { LogNotifier } from "../../agent/notifier.ts";
import { HeuristicPlanner } from "../../agent/planners/heuristic.ts";
import { defaultPolicy } from "../../agent/policy/loadPolicy.ts";
import type { IncidentStateType } from "../../agent/state.ts";
import { silentLogger } from "../../core/logger.ts";
import type { IncidentAlert, Target } from "../../core/types.ts";
import type { SqliteRunbookMemory } from "../../runbooks/memory/runbookMemory.ts";
import { SqliteActionLedger } from "../../store/actionLedger.ts";
import type { Db } from "../../store/db.ts";
import { SqliteIncidentRepository } from "../../store/incidentRepository.ts";
import { openTestMemory, tempDir } from "../runbooks/helpers.ts";

/** What an agent node test runs against: a fresh database with the runbook memory, and the agent's deps. */
export interface AgentFixture {
  db: Db;
  memory: SqliteRunbookMemory;
  deps: AgentDeps;
}

/**
 * Fresh agent deps (SQLite incidents, ledger and runbook memory, the heuristic planner, no platforms) before
 * each test of the calling file, closed after it. The returned object stands for the current test's.
 */
export function useAgentDeps(what: string): AgentFixture {
  let current: (AgentFixture & { close: () => void }) | undefined;
  beforeEach(async () => {
    const t = tempDir(`aegis-${what}-`);
    const { db, memory } = await openTestMemory(join(t.dir, "aegis.db"));
    const deps: AgentDeps = {
      incidents: new SqliteIncidentRepository(db),
      ledger: new SqliteActionLedger(db),
      memory,
      planner: new HeuristicPlanner(),
      policy: defaultPolicy(),
      platforms: [],
      notifier: new LogNotifier(silentLogger()),
      logger: silentLogger(),
      settings: { mode: "auto", verifyTimeoutMs: 1000, verifyIntervalMs: 10 },
    };
    current = {
      db,
      memory,
      deps,
      close: () => {
        db.close();
        t.cleanup();
      },
    };
  });
  afterEach(() => current?.close());
  return {
    get db() {
      return current!.db;
    },
    get memory() {
      return current!.memory;
    },
    get deps() {
      return current!.deps;
    },
  };
}

/**
 * An incident about container `name`, opened through ingest as the webhook would open it, and the graph
 * state triage leaves for it; `state` overrides any field.
 */
export async function dockerIncidentState(
  deps: AgentDeps,
  name: string,
  alert: Pick<IncidentAlert, "labels" | "annotations"> &
    Partial<Pick<IncidentAlert, "status" | "startsAt" | "endsAt">>,
  state: Partial<IncidentStateType> = {},
): Promise<IncidentStateType> {
  const target: Target = { kind: "docker_container", key: `docker:container/${name}`, name };
  const [outcome] = await deps.incidents.ingest(
    [
      {
        alert: {
          status: "firing",
          startsAt: new Date().toISOString(),
          endsAt: "0001-01-01T00:00:00Z",
          generatorURL: "",
          fingerprint: `fp-${name}`,
          ...alert,
          labels: { container: name, ...alert.labels },
        },
        target,
      },
    ],
    new Date().toISOString(),
  );
  return freshState(outcome!.incidentId, target, state);
}

/** The graph state of an incident before its first node ran, with `state` laid over it. */
export function freshState(
  incidentId: string,
  target: Target,
  state: Partial<IncidentStateType> = {},
): IncidentStateType {
  return {
    incidentId,
    target,
    containerId: null,
    identity: null,
    evidence: null,
    recalled: [],
    decision: null,
    verdict: null,
    approvedBy: null,
    needsApproval: null,
    attempt: 1,
    actedAt: null,
    verification: null,
    outcome: null,
    ...state,
  };
}
