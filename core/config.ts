import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { AegisError } from "./errors.ts";

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const intFrom = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const envSchema = z.object({
  AEGIS_HOST: z.string().default("127.0.0.1"),
  AEGIS_PORT: intFrom(8080, 0, 65535),
  AEGIS_DB: z.string().default("./data/aegis.db"),
  // SQLite: how hard an accepted alert's commit goes to disk before the 202 (WAL; see store/db.ts).
  AEGIS_DB_SYNCHRONOUS: z.enum(["full", "normal"]).default("full"),
  // PostgreSQL for incidents, actions, settings and checkpoints, shared by replicas; SQLite (AEGIS_DB) when unset.
  AEGIS_DATABASE_URL: optionalString.refine(
    (v) => v === undefined || /^postgres(ql)?:\/\//.test(v),
    "expected a postgres:// or postgresql:// URL",
  ),
  // How long a replica's claim on an incident lasts without a heartbeat before another replica takes it over.
  AEGIS_WORK_LEASE_MS: intFrom(30_000, 1000, 3_600_000),
  // This replica's name in leases and /healthz (default: host name and process id).
  AEGIS_REPLICA_ID: optionalString,
  // Who runs the singletons: `auto` (a Kubernetes Lease in a pod on PostgreSQL, the advisory lock elsewhere on
  // PostgreSQL, this process on SQLite), `lease`, `postgres` or `single`.
  AEGIS_LEADER_ELECTION: z.enum(["auto", "lease", "postgres", "single"]).default("auto"),
  AEGIS_LEASE_NAME: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, "expected a Kubernetes object name (RFC 1123 subdomain)")
    .default("aegisops-leader"),
  AEGIS_LEASE_NAMESPACE: optionalString,
  AEGIS_LEASE_DURATION_S: intFrom(15, 1, 300),
  AEGIS_MODE: z.enum(["advise", "approve", "auto"]).default("advise"),
  AEGIS_POLICY: optionalString,
  AEGIS_WEBHOOK_TOKEN: optionalString,
  AEGIS_API_TOKEN: optionalString,
  AEGIS_DASHBOARD_PUBLIC: z.enum(["true", "false"]).default("false"),
  AEGIS_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  AEGIS_WORKERS: intFrom(4, 1, 64),
  // `separate`: the agent runs in its own child process, so the webhook keeps its event loop under a storm.
  AEGIS_AGENT_PROCESS: z.enum(["separate", "inline"]).default("separate"),
  // How much nicer (lower CPU priority) than the front the agent process runs: the webhook answers first.
  AEGIS_AGENT_NICE: intFrom(5, 0, 19),
  AEGIS_QUEUE_SIZE: intFrom(1000, 1, 1_000_000),
  AEGIS_VERIFY_TIMEOUT_MS: intFrom(30_000, 100, 3_600_000),
  PROMETHEUS_URL: optionalString,
  ALERTMANAGER_URL: optionalString,
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalString,
  // One setting names the model and the prompt version: rolling back is changing it back.
  AEGIS_MODEL: z
    .string()
    .regex(/^[^@\s]+(@[A-Za-z0-9._-]+)?$/, "expected model or model@promptVersion, e.g. gpt-4o-mini@v1")
    .default("gpt-4o-mini@v1"),
  AEGIS_PROMPTS_DIR: optionalString,
  AEGIS_LLM_MAX_STEPS: intFrom(4, 1, 20),
  AEGIS_LLM_MAX_TOKENS: intFrom(1024, 64, 32_768),
  AEGIS_LLM_TOKEN_BUDGET: intFrom(30_000, 1000, 1_000_000),
  AEGIS_LLM_TIMEOUT_MS: intFrom(60_000, 1000, 600_000),
  AEGIS_LLM_MAX_RETRIES: intFrom(2, 0, 10),
  AEGIS_LLM_MAX_TOOL_RESULT_TOKENS: intFrom(2000, 200, 32_768),
  AEGIS_LLM_CASSETTE: optionalString,
  AEGIS_LLM_CASSETTE_MODE: z.enum(["replay", "record"]).default("replay"),
  AEGIS_LLM_CASSETTE_SOURCE: z.enum(["real_model", "local_server", "synthetic"]).optional(),
  AEGIS_PLANNER: z.enum(["heuristic", "llm"]).optional(),
  DOCKER_HOST: optionalString,
  KUBECONFIG: optionalString,
  // Set by the kubelet in every pod: AegisOps then reaches its own cluster through its service account.
  KUBERNETES_SERVICE_HOST: optionalString,
  ARGOCD_SERVER: optionalString,
  ARGOCD_TOKEN: optionalString,
  SLACK_BOT_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_CHANNEL: optionalString,
  SLACK_APPROVERS: optionalString,
  SLACK_API_URL: z.string().url().default("https://slack.com/api/"),
  PAGERDUTY_ROUTING_KEY: optionalString,
  PAGERDUTY_EVENTS_URL: z.string().url().default("https://events.pagerduty.com/v2/enqueue"),
  AEGIS_RUNBOOKS_DIR: optionalString,
  AEGIS_EMBEDDER: z.enum(["local", "openai"]).optional(),
  AEGIS_EMBEDDING_MODEL: z.string().default("text-embedding-3-small"),
  AEGIS_EMBEDDING_DIMENSIONS: intFrom(1536, 8, 8192),
  /** `true`: `GET /api/*` answers without the API token (reads only; changes always need it). */
  AEGIS_API_PUBLIC: z.enum(["true", "false"]).default("false"),
  /** Who AegisOps itself is, so it never acts on itself: the pod from the downward API, the container's hostname. */
  AEGIS_POD_NAME: optionalString,
  AEGIS_POD_NAMESPACE: optionalString,
  AEGIS_NODE_NAME: optionalString,
  HOSTNAME: optionalString,
  /** Test hook only: crash the process at a named point of the act step. */
  AEGIS_TEST_CRASH_AT: z.enum(["before_action", "after_action", "stray_error"]).optional(),
  // Tests only: with the agent in its own process, whether the crash point kills all of `aegis serve` or the agent.
  AEGIS_TEST_CRASH_SCOPE: z.enum(["serve", "agent"]).default("serve"),
});

/** The parsed process configuration. Built once at start-up, then passed around. */
export interface Config {
  host: string;
  port: number;
  dbPath: string;
  /**
   * SQLite, the webhook's commits: `full` (an fsync each, survives a power cut) or `normal` (survives a crash
   * of the process, not of the machine; no fsync on the webhook's path).
   */
  dbSynchronous: "full" | "normal";
  /** PostgreSQL shared by replicas; SQLite at `dbPath` when undefined. */
  databaseUrl: string | undefined;
  /** How long a replica's claim on an incident lasts without a heartbeat. */
  workLeaseMs: number;
  /** This replica's name in leases and /healthz. */
  replicaId: string;
  /**
   * Who runs the singletons (approval expiry, the predictive watcher): `single` (this process, SQLite),
   * `postgres` (an advisory lock) or `lease` (a Kubernetes Lease, through KUBECONFIG or the pod's account).
   */
  leaderElection:
    | { kind: "single" }
    | { kind: "postgres" }
    | { kind: "lease"; name: string; namespace: string; durationSeconds: number };
  mode: "advise" | "approve" | "auto";
  policyPath: string | undefined;
  webhookToken: string | undefined;
  apiToken: string | undefined;
  /** AEGIS_DASHBOARD_PUBLIC: the dashboard may be read without logging in (changes still need the token). */
  dashboardPublic: boolean;
  logLevel: string;
  workers: number;
  /** `separate` (default): `aegis serve` runs the agent in a child process beside the webhook; `inline`: one process. */
  agentProcess: "separate" | "inline";
  /** AEGIS_AGENT_NICE: the agent process's niceness above the front's (0: the same CPU priority). */
  agentNice: number;
  queueSize: number;
  verifyTimeoutMs: number;
  prometheusUrl: string | undefined;
  alertmanagerUrl: string | undefined;
  openai: { apiKey: string | undefined; baseUrl: string | undefined; model: string; promptVersion: string };
  /** Bounds of the llm planner, per incident. */
  llm: {
    maxSteps: number;
    maxTokensPerCall: number;
    tokenBudget: number;
    timeoutMs: number;
    maxRetries: number;
    /** Estimated tokens of one tool result the model reads. */
    maxToolResultTokens: number;
    promptsDir: string | undefined;
    /** `source` stamps a recording (default: from OPENAI_BASE_URL, hosted API or a local server). */
    cassette:
      | { path: string; mode: "replay" | "record"; source?: "real_model" | "local_server" | "synthetic" }
      | undefined;
  };
  planner: "heuristic" | "llm";
  dockerHost: string | undefined;
  kubeconfig: string | undefined;
  /** Running in a pod without KUBECONFIG: use the in-cluster service account. */
  kubeInCluster: boolean;
  argocd: { server: string | undefined; token: string | undefined };
  /** A secret the policy file names by its environment variable (e.g. a drain hook's bearer token). */
  secret(name: string): string | undefined;
  slack: {
    botToken: string | undefined;
    signingSecret: string | undefined;
    /** Socket Mode (no public URL needed) when set. */
    appToken: string | undefined;
    /** Where notifications and approval requests go when the policy names no channel. */
    channel: string | undefined;
    /** Slack user ids (U…) or user group ids (S…) allowed to approve any tier, beside the policy's lists. */
    approvers: string[];
    /** The Web API's base URL (Slack's by default; tests point it at a local server). */
    apiUrl: string;
  };
  /** PagerDuty Events API v2: escalated and failed incidents page a human when a routing key is set. */
  pagerduty: { routingKey: string | undefined; eventsUrl: string };
  /** `stray_error`: an `error` event nobody listens to, just before the action (the process guard's test). */
  testCrashAt: "before_action" | "after_action" | "stray_error" | undefined;
  /** Tests only: `agent` kills only the agent process (its front restarts it); `serve` kills both. */
  testCrashScope: "serve" | "agent";
  /** Runbook markdown loaded into the runbook memory at start-up (default: the runbooks shipped with AegisOps). */
  runbooksDir: string;
  /** What embeds runbooks and incidents: OpenAI when a key is set, else the local hashed embedder. */
  embedding: { provider: "local" | "openai"; model: string; dimensions: number };
  /** AEGIS_API_PUBLIC: reads through the API need no token. */
  apiPublic: boolean;
  /** What the environment says about AegisOps' own pod, node and host name (self-protection). */
  self: {
    podName: string | undefined;
    podNamespace: string | undefined;
    nodeName: string | undefined;
    hostname: string | undefined;
  };
}

/** The runbooks shipped with AegisOps. */
const BUNDLED_RUNBOOKS = fileURLToPath(new URL("../runbooks", import.meta.url));

/** Parse an environment (default: `process.env`, after loading `./.env` if present) into a frozen Config. */
export function loadConfig(env: NodeJS.ProcessEnv = readProcessEnv()): Readonly<Config> {
  // An empty value (as every optional line of .env.example has) means "not set".
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ""),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") ?? "?";
    throw new AegisError(
      "config_invalid",
      `invalid environment variable ${field}: ${issue?.message ?? "invalid"}`,
    );
  }
  const e = parsed.data;
  return Object.freeze({
    host: e.AEGIS_HOST,
    port: e.AEGIS_PORT,
    dbPath: e.AEGIS_DB,
    dbSynchronous: e.AEGIS_DB_SYNCHRONOUS,
    databaseUrl: e.AEGIS_DATABASE_URL,
    workLeaseMs: e.AEGIS_WORK_LEASE_MS,
    replicaId: e.AEGIS_REPLICA_ID ?? `${e.HOSTNAME ?? hostname()}-${process.pid}`,
    leaderElection: leaderElection(e),
    mode: e.AEGIS_MODE,
    policyPath: e.AEGIS_POLICY,
    webhookToken: e.AEGIS_WEBHOOK_TOKEN,
    apiToken: e.AEGIS_API_TOKEN,
    dashboardPublic: e.AEGIS_DASHBOARD_PUBLIC === "true",
    logLevel: e.AEGIS_LOG_LEVEL,
    workers: e.AEGIS_WORKERS,
    agentProcess: e.AEGIS_AGENT_PROCESS,
    agentNice: e.AEGIS_AGENT_NICE,
    queueSize: e.AEGIS_QUEUE_SIZE,
    verifyTimeoutMs: e.AEGIS_VERIFY_TIMEOUT_MS,
    prometheusUrl: e.PROMETHEUS_URL,
    alertmanagerUrl: e.ALERTMANAGER_URL,
    openai: {
      apiKey: e.OPENAI_API_KEY,
      baseUrl: e.OPENAI_BASE_URL,
      model: e.AEGIS_MODEL.split("@")[0]!,
      promptVersion: e.AEGIS_MODEL.split("@")[1] ?? "v1",
    },
    llm: {
      maxSteps: e.AEGIS_LLM_MAX_STEPS,
      maxTokensPerCall: e.AEGIS_LLM_MAX_TOKENS,
      tokenBudget: e.AEGIS_LLM_TOKEN_BUDGET,
      timeoutMs: e.AEGIS_LLM_TIMEOUT_MS,
      maxRetries: e.AEGIS_LLM_MAX_RETRIES,
      maxToolResultTokens: e.AEGIS_LLM_MAX_TOOL_RESULT_TOKENS,
      promptsDir: e.AEGIS_PROMPTS_DIR,
      cassette: e.AEGIS_LLM_CASSETTE
        ? {
            path: e.AEGIS_LLM_CASSETTE,
            mode: e.AEGIS_LLM_CASSETTE_MODE,
            ...(e.AEGIS_LLM_CASSETTE_SOURCE ? { source: e.AEGIS_LLM_CASSETTE_SOURCE } : {}),
          }
        : undefined,
    },
    planner: e.AEGIS_PLANNER ?? (e.OPENAI_API_KEY ? "llm" : "heuristic"),
    dockerHost: e.DOCKER_HOST,
    kubeconfig: e.KUBECONFIG,
    kubeInCluster: !e.KUBECONFIG && Boolean(e.KUBERNETES_SERVICE_HOST),
    argocd: { server: e.ARGOCD_SERVER, token: e.ARGOCD_TOKEN },
    secret: (name: string) => present[name],
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      channel: e.SLACK_CHANNEL,
      approvers: (e.SLACK_APPROVERS ?? "")
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter((s) => s !== ""),
      apiUrl: e.SLACK_API_URL,
    },
    pagerduty: { routingKey: e.PAGERDUTY_ROUTING_KEY, eventsUrl: e.PAGERDUTY_EVENTS_URL },
    testCrashAt: e.AEGIS_TEST_CRASH_AT,
    testCrashScope: e.AEGIS_TEST_CRASH_SCOPE,
    runbooksDir: e.AEGIS_RUNBOOKS_DIR ?? BUNDLED_RUNBOOKS,
    embedding: {
      provider: e.AEGIS_EMBEDDER ?? (e.OPENAI_API_KEY ? "openai" : "local"),
      model: e.AEGIS_EMBEDDING_MODEL,
      dimensions: e.AEGIS_EMBEDDING_DIMENSIONS,
    },
    apiPublic: e.AEGIS_API_PUBLIC === "true",
    self: {
      podName: e.AEGIS_POD_NAME,
      podNamespace: e.AEGIS_POD_NAMESPACE,
      nodeName: e.AEGIS_NODE_NAME,
      hostname: e.HOSTNAME,
    },
  });
}

/** `auto`: a Lease when replicas share PostgreSQL inside a cluster, the advisory lock elsewhere on PostgreSQL. */
function leaderElection(e: z.infer<typeof envSchema>): Config["leaderElection"] {
  const inCluster = !e.KUBECONFIG && Boolean(e.KUBERNETES_SERVICE_HOST);
  const kind =
    e.AEGIS_LEADER_ELECTION !== "auto"
      ? e.AEGIS_LEADER_ELECTION
      : !e.AEGIS_DATABASE_URL
        ? "single"
        : inCluster
          ? "lease"
          : "postgres";
  if (kind === "postgres" && !e.AEGIS_DATABASE_URL)
    throw new AegisError(
      "config_invalid",
      "invalid environment variable AEGIS_LEADER_ELECTION: postgres needs AEGIS_DATABASE_URL",
    );
  if (kind === "lease" && !e.KUBECONFIG && !e.KUBERNETES_SERVICE_HOST)
    throw new AegisError(
      "config_invalid",
      "invalid environment variable AEGIS_LEADER_ELECTION: lease needs a cluster (KUBECONFIG, or running in a pod)",
    );
  if (kind !== "lease") return { kind };
  return {
    kind,
    name: e.AEGIS_LEASE_NAME,
    namespace: e.AEGIS_LEASE_NAMESPACE ?? e.AEGIS_POD_NAMESPACE ?? "default",
    durationSeconds: e.AEGIS_LEASE_DURATION_S,
  };
}

function readProcessEnv(): NodeJS.ProcessEnv {
  // Values already in the environment win over .env, as with dotenv.
  if (existsSync(".env")) process.loadEnvFile(".env");
  return process.env;
}

/**
 * The environment of the agent process `aegis serve` starts beside its webhook front: this process's own (so
 * both read the same configuration), with the replica name pinned so that it survives the agent's restarts.
 */
export function agentProcessEnv(config: Readonly<Config>): NodeJS.ProcessEnv {
  return { ...process.env, AEGIS_REPLICA_ID: config.replicaId };
}
