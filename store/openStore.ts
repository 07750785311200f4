import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { SqliteActionLedger, type ActionLedger } from "./actionLedger.ts";
import { openDatabase, type Db, type Durability } from "./db.ts";
import { WalSync } from "./walSync.ts";
import { SqliteIncidentRepository, type IncidentRepository } from "./incidentRepository.ts";
import { PgActionLedger } from "./postgres/actionLedger.ts";
import { PgIncidentRepository } from "./postgres/incidentRepository.ts";
import { openPostgres, withMigrationLock, type PgPool } from "./postgres/pool.ts";
import { PgPredictionRepository } from "./postgres/predictionRepository.ts";
import { PgRuntimeSettings } from "./postgres/runtimeSettings.ts";
import { SqlitePredictionRepository, type PredictionRepository } from "./predictionRepository.ts";
import { SqliteRuntimeSettings, type RuntimeSettings } from "./runtimeSettings.ts";
import { SingleProcessLeadership, type Leadership } from "./leadership.ts";
import { PgLeaderLock } from "./postgres/leaderLock.ts";
import { PgWorkQueue } from "./postgres/workQueue.ts";
import { PgFixJournal } from "./postgres/fixJournal.ts";
import type { FixJournal } from "../runbooks/memory/sharedFixMemory.ts";
import type { WorkQueue } from "./workQueue.ts";
import type { Config } from "../core/config.ts";

export type StoreKind = "sqlite" | "postgres";

/**
 * The webhook's connection checkpoints the WAL only past this many pages (about 40 MB; SQLite's default is
 * 1,000): a checkpoint runs inside the commit that triggers it, with two flushes, on the event loop. The
 * agent's connection, at the default, does it first whenever the agent runs.
 */
const INGEST_CHECKPOINT_PAGES = 10_000;

/** Where incidents, actions, settings and the agent's checkpoints live, behind the repository interfaces. */
export interface Store {
  kind: StoreKind;
  /** Repositories for the agent and the API. */
  incidents: IncidentRepository;
  /** The repository the webhook writes through (on SQLite its own, fully synced connection). */
  ingest: IncidentRepository;
  ledger: ActionLedger;
  settings: RuntimeSettings;
  /** The predictive watcher's predictions (evidence and forecasts of predictive incidents). */
  predictions: PredictionRepository;
  checkpointer: BaseCheckpointSaver;
  /** This process's own SQLite file: everything on SQLite; on PostgreSQL only the runbook memory. */
  local: Db;
  /** The queue replicas share (PostgreSQL); undefined on SQLite, where one process queues in memory. */
  workQueue: WorkQueue | undefined;
  /** Who runs the singletons: this process on SQLite, the advisory lock's holder on PostgreSQL. */
  leadership: Leadership;
  /** PostgreSQL: the learned fixes replicas share (each applies them to its local runbook memory). */
  fixJournal: FixJournal | undefined;
  close(): Promise<void>;
}

/** The store the configuration names: AEGIS_DB, AEGIS_DATABASE_URL, its durability, replica and lease settings. */
export function openConfiguredStore(
  config: Pick<Config, "dbPath" | "dbSynchronous" | "databaseUrl" | "replicaId" | "workLeaseMs">,
  agent: AgentIncarnation = {},
): Promise<Store> {
  return openStore({
    dbPath: config.dbPath,
    ingestDurability: config.dbSynchronous,
    databaseUrl: config.databaseUrl,
    replicaId: agent.instance ? `${config.replicaId}/${agent.instance}` : config.replicaId,
    leaseMs: config.workLeaseMs,
    ...(agent.predecessor ? { predecessor: `${config.replicaId}/${agent.predecessor}` } : {}),
  });
}

/**
 * Which start of the agent process this is, when `aegis serve` runs it apart from its front: each start holds
 * its work-queue leases under its own name (`<replica>/<instance>`), and a restart names the start before it,
 * which the front saw exit, so its leases are handed back at once instead of lapsing.
 */
export interface AgentIncarnation {
  instance?: string | undefined;
  predecessor?: string | undefined;
}

/** PostgreSQL when `databaseUrl` is set (migrated on open), SQLite at `dbPath` otherwise. */
export async function openStore(options: {
  dbPath: string;
  databaseUrl?: string | undefined;
  /** SQLite: how the webhook's commits reach the disk (default `full`: an fsync each). */
  ingestDurability?: Durability;
  /** This replica's name on its work-queue leases. */
  replicaId?: string;
  /** How long a claim lasts without a heartbeat (default 30 s). */
  leaseMs?: number;
  /** PostgreSQL: the lease name of a process known to be dead, whose entries are handed back on open. */
  predecessor?: string;
}): Promise<Store> {
  const local = openDatabase(options.dbPath, "normal");
  if (!options.databaseUrl) {
    // Two connections to one file: what the 202 promises (accepted alerts) is flushed to disk after every commit
    // (unless AEGIS_DB_SYNCHRONOUS=normal: then it survives a crash of the process, not a power cut), by an
    // fdatasync off the event loop that one flush shares between the commits before it (store/walSync.ts); the
    // agent's own writes (checkpoints, timeline) survive a process crash and cost no fsync each, since a resumed
    // run reconciles with the target before it acts again.
    const ingestDb = openDatabase(options.dbPath, "normal", { checkpointPages: INGEST_CHECKPOINT_PAGES });
    // The webhook never sleeps in SQLite's busy handler: it waits for the agent's write lock on a timer.
    ingestDb.pragma("busy_timeout = 0");
    const walSync =
      (options.ingestDurability ?? "full") === "full" && options.dbPath !== ":memory:"
        ? new WalSync(options.dbPath)
        : undefined;
    return {
      kind: "sqlite",
      incidents: new SqliteIncidentRepository(local),
      ingest: new SqliteIncidentRepository(ingestDb, {
        waitForLockAsync: true,
        ...(walSync ? { commitSync: () => walSync.sync() } : {}),
      }),
      ledger: new SqliteActionLedger(local),
      settings: new SqliteRuntimeSettings(local),
      predictions: new SqlitePredictionRepository(local),
      checkpointer: new SqliteSaver(local),
      local,
      workQueue: undefined,
      leadership: new SingleProcessLeadership(),
      fixJournal: undefined,
      async close() {
        await walSync?.close();
        local.close();
        ingestDb.close();
      },
    };
  }
  let pool: PgPool;
  try {
    pool = await openPostgres(options.databaseUrl);
  } catch (err) {
    local.close();
    throw err;
  }
  const checkpointer = new PostgresSaver(pool);
  // The checkpointer's own tables; replicas starting together create them once.
  await withMigrationLock(pool, () => checkpointer.setup());
  const incidents = new PgIncidentRepository(pool);
  const fixJournal = await PgFixJournal.open(pool);
  const workQueue = new PgWorkQueue(
    pool,
    options.replicaId ?? `pid-${process.pid}`,
    options.leaseMs ?? 30_000,
  );
  if (options.predecessor) await workQueue.releaseDead(options.predecessor);
  return {
    kind: "postgres",
    incidents,
    ingest: incidents,
    ledger: new PgActionLedger(pool),
    settings: new PgRuntimeSettings(pool),
    predictions: new PgPredictionRepository(pool),
    checkpointer,
    local,
    workQueue,
    leadership: new PgLeaderLock(pool),
    fixJournal,
    async close() {
      await pool.end();
      local.close();
    },
  };
}
