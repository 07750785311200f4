import { EventEmitter } from "node:events";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { buildIncidentGraph } from "../agent/graph.ts";
import { LogNotifier, type Notifier } from "../agent/notifier.ts";
import { HeuristicPlanner } from "../agent/planners/heuristic.ts";
import { createLlmClient } from "../agent/planners/llm/client.ts";
import { LlmPlanner } from "../agent/planners/llm/llmPlanner.ts";
import { loadPrompts } from "../agent/planners/llm/prompts.ts";
import type { Planner } from "../agent/planners/planner.ts";
import { createDockerPlatform } from "../agent/platforms/docker/dockerPlatform.ts";
import { createArgocdClient } from "../tools/argocd/client.ts";
import { createMultiClusterPlatform } from "../agent/platforms/kubernetes/multiCluster.ts";
import { createKubernetesPlatform } from "../agent/platforms/kubernetes/kubernetesPlatform.ts";
import { platformFor, type Platform } from "../agent/platforms/platform.ts";
import { loadPolicy } from "../agent/policy/loadPolicy.ts";
import { detectSelf, type SelfIdentity } from "../agent/policy/selfProtection.ts";
import type { Policy } from "../agent/policy/schema.ts";
import { IncidentRunner } from "../agent/runner.ts";
import type { Config } from "../core/config.ts";
import type { Logger } from "../core/logger.ts";
import { openMemory } from "./openMemory.ts";
import { createApp } from "../server/app.ts";
import { SqliteActionLedger } from "../store/actionLedger.ts";
import { openDatabase } from "../store/db.ts";
import { SqliteIncidentRepository } from "../store/incidentRepository.ts";
import { createDockerClient } from "../tools/docker/client.ts";
import { createKubeClients } from "../tools/kubernetes/client.ts";
import { listActiveSilences } from "../tools/alertmanager/silences.ts";

/** Replaceable parts, for tests and benchmarks. */
export interface ComposeOverrides {
  logger: Logger;
  policy?: Policy;
  platforms?: Platform[];
  planner?: Planner;
  notifier?: Notifier;
  verifyIntervalMs?: number;
  sweepIntervalMs?: number;
  /** Who AegisOps is (default: read from /proc and the downward API environment). */
  self?: SelfIdentity;
  /** The agent's clock for verification waits and deadlines (evals run it on a simulated cluster's time). */
  clock?: { now: () => number; sleep: (ms: number) => Promise<void> };
}

/** Build the whole product from config: database, agent graph, runner and HTTP app. Nothing listens yet. */
export async function createAegis(config: Readonly<Config>, overrides: ComposeOverrides) {
  const logger = overrides.logger;
  const policy = overrides.policy ?? loadPolicy(config.policyPath);
  // Two connections to one file: what the 202 promises (accepted alerts) is fsynced on every commit; the
  // agent's own writes (checkpoints, timeline) survive a process crash and cost no fsync each, since a
  // resumed run reconciles with the target before it acts again.
  const ingestDb = openDatabase(config.dbPath, "full");
  const db = openDatabase(config.dbPath, "normal");
  const incidents = new SqliteIncidentRepository(db);
  const ledger = new SqliteActionLedger(db);
  const { memory } = await openMemory(config, db, logger, { runbooksDir: config.runbooksDir });
  const platforms = overrides.platforms ?? defaultPlatforms(config, policy);
  const heuristic = new HeuristicPlanner();
  const llm =
    !overrides.planner && config.planner === "llm"
      ? createLlmClient({
          apiKey: config.openai.apiKey,
          baseUrl: config.openai.baseUrl,
          maxRetries: config.llm.maxRetries,
          cassette: config.llm.cassette,
        })
      : null;
  const planner =
    overrides.planner ??
    (llm
      ? new LlmPlanner({
          client: llm.client,
          model: config.openai.model,
          prompts: loadPrompts(config.openai.promptVersion, config.llm.promptsDir),
          fallback: heuristic,
          memory,
          readOnlyTools: (t) => platformFor(platforms, t)?.readOnlyTools?.(t) ?? [],
          limits: {
            maxSteps: config.llm.maxSteps,
            maxTokensPerCall: config.llm.maxTokensPerCall,
            tokenBudget: config.llm.tokenBudget,
            timeoutMs: config.llm.timeoutMs,
            maxToolResultTokens: config.llm.maxToolResultTokens,
          },
        })
      : heuristic);
  const crashAt = config.testCrashAt;
  const graph = buildIncidentGraph(
    {
      incidents,
      ledger,
      memory,
      planner,
      policy,
      platforms,
      notifier: overrides.notifier ?? new LogNotifier(logger.child({ module: "notify" })),
      self: overrides.self ?? detectSelf(config.self),
      logger: logger.child({ module: "agent" }),
      settings: {
        mode: config.mode,
        verifyTimeoutMs: config.verifyTimeoutMs,
        verifyIntervalMs: overrides.verifyIntervalMs ?? 250,
      },
      ...(overrides.clock ? { now: overrides.clock.now, sleep: overrides.clock.sleep } : {}),
      ...(config.alertmanagerUrl
        ? { silences: () => listActiveSilences({ alertmanagerUrl: config.alertmanagerUrl! }) }
        : {}),
      ...(crashAt
        ? {
            crashHook: (point) => {
              if (point === crashAt) process.kill(process.pid, "SIGKILL");
              if (crashAt === "stray_error" && point === "before_action") {
                setImmediate(() => new EventEmitter().emit("error", new Error("test: stray error event")));
              }
            },
          }
        : {}),
    },
    new SqliteSaver(db),
  );
  const runner = new IncidentRunner(graph, incidents, logger, {
    workers: Math.min(config.workers, policy.caps.concurrentRemediations),
    queueSize: config.queueSize,
    sweepIntervalMs: overrides.sweepIntervalMs ?? 5_000,
  });
  const app = createApp({
    config,
    policy,
    incidents: new SqliteIncidentRepository(ingestDb),
    onAccepted: (ids) => runner.enqueue(ids),
    answerApproval: (id, answer) => runner.resumeWithApproval(id, answer),
    logger,
  });
  return {
    app,
    runner,
    incidents,
    db,
    plannerName: planner.name,
    /** The LLM cassette in use (replay or record), so callers can report off-script requests. */
    cassette: llm?.cassette ?? null,
    async close() {
      await runner.stop();
      // A recording session keeps what the model answered, for deterministic replays.
      if (llm?.cassette && config.llm.cassette?.mode === "record")
        llm.cassette.save(config.llm.cassette.path);
      db.close();
      ingestDb.close();
    },
  };
}

/** Docker always; Kubernetes when a kubeconfig is given or AegisOps runs inside a cluster. */
function defaultPlatforms(config: Readonly<Config>, policy: Policy): Platform[] {
  const platforms: Platform[] = [
    createDockerPlatform({
      docker: createDockerClient(config.dockerHost),
      prometheusUrl: config.prometheusUrl,
      policy,
    }),
  ];
  const source = config.kubeconfig
    ? ({ kind: "file", path: config.kubeconfig } as const)
    : config.kubeInCluster
      ? ({ kind: "in_cluster" } as const)
      : null;
  if (source) {
    const argocd =
      config.argocd.server && config.argocd.token
        ? createArgocdClient({ server: config.argocd.server, token: config.argocd.token })
        : undefined;
    const common = { policy, prometheusUrl: config.prometheusUrl, secret: config.secret, argocd };
    // One client set and platform per policy cluster (kube context), for region-aware targets and failover_region.
    const clusters = Object.fromEntries(
      source.kind === "file"
        ? Object.entries(policy.clusters).map(([name, c]) => [
            name,
            createKubeClients({ kind: "file", path: source.path, context: c.context }),
          ])
        : [],
    );
    const main = createKubernetesPlatform({ kube: createKubeClients(source), clusters, ...common });
    const byCluster = Object.fromEntries(
      Object.entries(clusters).map(([name, kube]) => [
        name,
        createKubernetesPlatform({ kube, cluster: name, clusters, ...common }),
      ]),
    );
    platforms.push(Object.keys(byCluster).length > 0 ? createMultiClusterPlatform(main, byCluster) : main);
  }
  return platforms;
}

export type Aegis = Awaited<ReturnType<typeof createAegis>>;
