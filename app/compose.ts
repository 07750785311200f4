import type { Clock } from "../core/clock.ts";
import { EventEmitter } from "node:events";
import { buildIncidentGraph } from "../agent/graph.ts";
import { ApprovalDesk } from "../agent/approvals/approvalDesk.ts";
import { FanOutNotifier, LogNotifier, type Notifier } from "../agent/notifier.ts";
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
import { createPersonUndo } from "../agent/undo/personUndo.ts";
import { loadPolicy } from "../agent/policy/loadPolicy.ts";
import { detectSelf, type SelfIdentity } from "../agent/policy/selfProtection.ts";
import type { Policy } from "../agent/policy/schema.ts";
import { IncidentRunner } from "../agent/runner.ts";
import type { Config } from "../core/config.ts";
import { describeError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { openMemory } from "./openMemory.ts";
import type { FixMemory } from "../runbooks/memory/fixMemory.ts";
import { SharedFixMemory } from "../runbooks/memory/sharedFixMemory.ts";
import { describeUrl } from "../store/postgres/pool.ts";
import { createApp } from "../server/app.ts";
import { registerIncidentMetrics } from "../server/incidentMetrics.ts";
import { registerUndoMetrics } from "../server/undoMetrics.ts";
import { createMetricsRegistry } from "../server/metrics.ts";
import { registerReplicaMetrics } from "../server/replicaMetrics.ts";
import type { ReplicaStatus } from "../server/routes/health.ts";
import { openConfiguredStore, type AgentIncarnation } from "../store/openStore.ts";
import { createDockerClient } from "../tools/docker/client.ts";
import { createKubeClients } from "../tools/kubernetes/client.ts";
import { listActiveSilences } from "../tools/alertmanager/silences.ts";
import { createCurrentness } from "../agent/currentness/currentness.ts";
import { createSlackApp } from "../slack/app.ts";
import { wireSlack } from "../slack/slackIntegration.ts";
import { applyModeOverrides } from "../agent/policy/modeOverrides.ts";
import { PagerNotifier } from "../agent/paging/pagerNotifier.ts";
import { Autonomy } from "../agent/autonomy/autonomy.ts";
import { scalarQuery } from "../tools/prometheus/scalarQuery.ts";
import { sendPagerEvent } from "../tools/pagerduty/eventsApi.ts";
import { userGroupMembers } from "../slack/userGroups.ts";
import { PredictionRegistry } from "../detect/watcher/registry.ts";
import { createPredictiveWatcher } from "./predictive.ts";
import { chooseLeadership } from "./leadership.ts";

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
  /** How often approval requests are checked for expiry (default 5 s). */
  approvalSweepMs?: number;
  /** The agent's clock for verification waits and deadlines (evals run it on a simulated cluster's time). */
  clock?: Clock;
  /** How AEGIS_TEST_CRASH_AT kills (default: this process with SIGKILL; the agent process also kills its front). */
  crash?: () => void;
  /** The agent process's start, when it runs apart from its front (its leases' name, its dead predecessor). */
  incarnation?: AgentIncarnation;
}

/** Build the whole product from config: database, agent graph, runner and HTTP app. Nothing listens yet. */
export async function createAegis(config: Readonly<Config>, overrides: ComposeOverrides) {
  const logger = overrides.logger;
  const policy = overrides.policy ?? loadPolicy(config.policyPath);
  // SQLite (AEGIS_DB) by default; PostgreSQL, shared by replicas, when AEGIS_DATABASE_URL is set. The runbook
  // memory stays in this process's own SQLite file either way.
  const store = await openConfiguredStore(config, overrides.incarnation);
  const leadership = chooseLeadership(config, store, logger);
  const db = store.local;
  const { incidents, ledger, settings } = store;
  const { memory: localMemory } = await openMemory(config, db, logger, { runbooksDir: config.runbooksDir });
  // Several replicas on PostgreSQL learn together: each applies the shared journal to its own local memory.
  const memory: FixMemory = store.fixJournal
    ? new SharedFixMemory(localMemory, store.fixJournal, {
        db,
        journalName: describeUrl(config.databaseUrl ?? ""),
        replica: config.replicaId,
        onError: (err, doing) => logger.warn({ err: describeError(err) }, `runbook memory: ${doing} failed`),
      })
    : localMemory;
  const platforms = overrides.platforms ?? defaultPlatforms(config, policy, overrides.clock);
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
  // Predictions are stored with the incidents: after a restart the evidence and forecast of a predictive
  // incident are still there, and a series raised just before does not raise again within its cooldown.
  const predictions = new PredictionRegistry({ store: store.predictions });
  const restoredPredictions = await predictions.restore();
  if (restoredPredictions.skipped > 0)
    logger.warn(restoredPredictions, "stored predictions skipped: not a prediction's shape");
  const crashAt = config.testCrashAt;
  // Approvals from every channel (REST, Slack) go through one desk; it resumes the paused run.
  const slackApp = config.slack.botToken
    ? createSlackApp({
        botToken: config.slack.botToken,
        signingSecret: config.slack.signingSecret,
        appToken: config.slack.appToken,
        apiUrl: config.slack.apiUrl,
        logger,
      })
    : undefined;
  await applyModeOverrides(policy, settings);
  const groupMembers = slackApp ? userGroupMembers(slackApp.client) : undefined;
  const desk = new ApprovalDesk({
    incidents,
    policy,
    globalApprovers: config.slack.approvers,
    ...(groupMembers ? { groupMembers } : {}),
    resume: (id, answer) => runner.resumeWithApproval(id, answer),
    logger,
  });
  const autonomy = new Autonomy({
    incidents,
    policy,
    settings,
    ...(config.prometheusUrl ? { query: scalarQuery(config.prometheusUrl) } : {}),
    logger,
  });
  const slack = slackApp
    ? wireSlack({
        slack: slackApp,
        desk,
        incidents,
        policy,
        defaultChannel: config.slack.channel,
        logger,
        autonomy,
        // Bound late: the undo tells the notifiers, which include this Slack wiring's.
        undo: (id, request) => personUndo(id, request),
        command: {
          settings,
          processMode: config.mode,
          globalApprovers: config.slack.approvers,
          groupMembers,
          alertmanagerUrl: config.alertmanagerUrl,
        },
      })
    : undefined;
  const baseNotifier = overrides.notifier ?? new LogNotifier(logger.child({ module: "notify" }));
  const pager = config.pagerduty.routingKey
    ? new PagerNotifier({
        send: (event) =>
          sendPagerEvent(
            { eventsUrl: config.pagerduty.eventsUrl, routingKey: config.pagerduty.routingKey! },
            event,
          ),
        settings,
      })
    : undefined;
  const extra = [...(slack ? [slack.notifier] : []), ...(pager ? [pager] : [])];
  const notifier: Notifier = extra.length > 0 ? new FanOutNotifier([baseNotifier, ...extra]) : baseNotifier;
  // A person's undo (API, dashboard, Slack): through the ledger; the notifiers show the new state after it.
  const metrics = createMetricsRegistry();
  const personUndo = createPersonUndo({
    incidents,
    ledger,
    platforms,
    undone: (incident) => notifier.undone?.(incident) ?? Promise.resolve(),
    counted: registerUndoMetrics(metrics),
  });
  const currentness = createCurrentness({
    alertmanagerUrl: config.alertmanagerUrl,
    prometheusUrl: config.prometheusUrl,
  });
  const graph = buildIncidentGraph(
    {
      incidents,
      ledger,
      memory,
      planner,
      policy,
      platforms,
      notifier,
      autonomy,
      self: overrides.self ?? detectSelf(config.self),
      logger: logger.child({ module: "agent" }),
      settings: {
        mode: config.mode,
        verifyTimeoutMs: config.verifyTimeoutMs,
        verifyIntervalMs: overrides.verifyIntervalMs ?? 250,
      },
      predictions,
      ...(overrides.clock ? { now: overrides.clock.now, sleep: overrides.clock.sleep } : {}),
      ...(config.alertmanagerUrl
        ? { silences: () => listActiveSilences({ alertmanagerUrl: config.alertmanagerUrl! }) }
        : {}),
      ...(currentness ? { currentness } : {}),
      ...(crashAt
        ? {
            crashHook: (point) => {
              if (point === crashAt) (overrides.crash ?? (() => process.kill(process.pid, "SIGKILL")))();
              if (crashAt === "stray_error" && point === "before_action") {
                setImmediate(() => new EventEmitter().emit("error", new Error("test: stray error event")));
              }
            },
          }
        : {}),
    },
    store.checkpointer,
  );
  const incidentMetrics = registerIncidentMetrics(metrics, {
    configuredPlanner: planner.name,
    queue: () => runner.stats(),
  });
  const runner: IncidentRunner = new IncidentRunner(graph, incidents, logger, {
    workers: Math.min(config.workers, policy.caps.concurrentRemediations),
    queueSize: config.queueSize,
    sweepIntervalMs: overrides.sweepIntervalMs ?? 5_000,
    clock: overrides.clock,
    // PostgreSQL: replicas share one queue; a claim is renewed three times per lease.
    ...(store.workQueue
      ? {
          shared: {
            queue: store.workQueue,
            pollMs: Math.min(1_000, config.workLeaseMs / 3),
            heartbeatMs: config.workLeaseMs / 3,
          },
        }
      : {}),
    onRunEnd: (id) =>
      void incidents
        .get(id)
        .then((incident) => incident && incidentMetrics.record(incident))
        .catch((err: unknown) =>
          logger.warn({ incident: id, err: describeError(err) }, "metrics not recorded"),
        ),
  });
  const replica = (): ReplicaStatus => ({
    store: store.kind,
    role: leadership.isLeader() ? "leader" : "follower",
    election: leadership.kind,
    replica: config.replicaId,
  });
  registerReplicaMetrics(metrics, {
    replica,
    queue: () => runner.stats(),
    ...(store.workQueue ? { sharedWaiting: () => store.workQueue!.depth() } : {}),
  });
  const watcher = createPredictiveWatcher({ config, policy, predictions, incidents, runner, logger });
  const app = createApp({
    config,
    policy,
    incidents: store.ingest,
    onAccepted: (ids) => runner.enqueue(ids),
    answerApproval: (id, vote) => desk.answer(id, vote),
    undoAction: personUndo,
    ...(slackApp?.handlers ? { slackHandlers: slackApp.handlers } : {}),
    sloReport: () => autonomy.report(),
    logger,
    metrics,
    runbooks: localMemory,
    replica,
    forecasts: (alerts) => predictions.forecastsFor(alerts),
  });
  return {
    app,
    runner,
    desk,
    autonomy,
    incidents,
    /** Start the agent's workers, the approval expiry sweep and Slack (Socket Mode connects here). */
    async start() {
      await runner.start();
      await slack?.start();
      // Singletons (approval expiry, the predictive watcher) run on the leader only: on SQLite this process.
      await leadership.start((leader) => {
        logger.info(
          { replica: config.replicaId, store: store.kind, election: leadership.kind },
          leader ? "leading" : "following",
        );
        if (leader) {
          desk.start(overrides.approvalSweepMs ?? 5_000);
          watcher?.start();
        } else {
          desk.stop();
          void watcher?.stop();
        }
      });
    },
    db,
    store,
    plannerName: planner.name,
    /** The predictive watcher (PROMETHEUS_URL and policy `predictive.series`), not started yet; null when off. */
    watcher,
    /** The predictions the watcher raised (stored), behind predictive incidents' evidence and forecasts. */
    predictions,
    /** The LLM cassette in use (replay or record), so callers can report off-script requests. */
    cassette: llm?.cassette ?? null,
    async close() {
      desk.stop();
      await leadership.stop();
      await slack?.stop();
      await watcher?.stop();
      await runner.stop();
      // A recording session keeps what the model answered, for deterministic replays.
      if (llm?.cassette && config.llm.cassette?.mode === "record")
        llm.cassette.save(config.llm.cassette.path);
      await store.close();
    },
  };
}

/** Docker always; Kubernetes when a kubeconfig is given or AegisOps runs inside a cluster. */
function defaultPlatforms(config: Readonly<Config>, policy: Policy, clock: Clock | undefined): Platform[] {
  const platforms: Platform[] = [
    createDockerPlatform({
      docker: createDockerClient(config.dockerHost),
      prometheusUrl: config.prometheusUrl,
      policy,
      clock,
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
    const common = { policy, prometheusUrl: config.prometheusUrl, secret: config.secret, argocd, clock };
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
