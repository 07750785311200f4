import { z } from "zod";
import { ACTION_IDS, RISK_TIERS } from "../../core/catalog.ts";
import { rightsizingSchema } from "../../detect/audit/rightsizing.ts";
import { predictiveSchema } from "../../detect/watcher/config.ts";

const mode = z.enum(["advise", "approve", "auto"]);
const actionId = z.enum(ACTION_IDS as [string, ...string[]]);

/** Where a service label (or a non-workload alert) points when no workload label is present. */
const serviceTarget = z
  .object({
    container: z.string().optional().describe("Docker container name"),
    composeService: z.string().optional().describe("Docker compose service"),
    namespace: z.string().optional().describe("Kubernetes namespace"),
    deployment: z.string().optional().describe("Kubernetes deployment"),
    statefulset: z.string().optional().describe("Kubernetes statefulset"),
    cluster: z.string().optional().describe("cluster name from `clusters`"),
  })
  .strict();

/** A Kafka consumer group served by one Deployment (`add_kafka_consumers`). */
const kafkaSettings = z
  .object({
    group: z.string().optional().describe("consumer group name; the service name when absent"),
    consumerDeployment: z
      .string()
      .optional()
      .describe("Deployment running the group's consumers; the service's target deployment when absent"),
    partitions: z
      .number()
      .int()
      .min(1)
      .describe("partitions of the topic: more consumers than this sit idle"),
  })
  .strict();

/** A database reached through a Kubernetes Service whose selector picks the instance (`failover_database`). */
const databaseSettings = z
  .object({
    service: z.string().describe("Kubernetes Service the clients connect to"),
    namespace: z.string().optional().describe("namespace of the Service; the target's when absent"),
    selectorKey: z.string().default("role").describe("the selector label that picks the instance"),
    primary: z.string().default("primary").describe("selector value of the primary"),
    secondary: z.string().default("secondary").describe("selector value of the secondary to fail over to"),
  })
  .strict();

/** Ingress-nginx rate limiting in front of the service (`rate_limit_traffic`). */
const ingressSettings = z
  .object({
    name: z.string().describe("Ingress name"),
    namespace: z.string().optional().describe("namespace of the Ingress; the target's when absent"),
    limitRps: z.number().int().min(1).describe("requests per second per client IP when limiting"),
  })
  .strict();

/** The Service whose traffic `reroute_traffic` pins to the healthy version of the app. */
const trafficSettings = z
  .object({
    service: z.string().min(1).describe("Kubernetes Service in front of every version of the app"),
    namespace: z.string().optional().describe("namespace of the Service; the target's when absent"),
    versionLabel: z.string().min(1).default("version").describe("pod label that tells the versions apart"),
  })
  .strict();

/** A work queue served by the service's workers, and the hook that drains it (`drain_queue`). */
const queueSettings = z
  .object({
    name: z.string().optional().describe("queue name; the service name when absent"),
    maxWorkers: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        "the most workers the queue may have (a broker connection limit, a budget): no scaling beyond it",
      ),
    drainHook: z
      .object({
        url: z
          .string()
          .url()
          .describe("HTTP endpoint that drains the backlog (moves it to a spill queue, sheds producers)"),
        method: z.enum(["POST", "PUT"]).default("POST").describe("HTTP method of the call"),
        tokenEnv: z
          .string()
          .optional()
          .describe("environment variable holding the hook's bearer token (never the token itself)"),
      })
      .strict()
      .optional()
      .describe("without a hook, drain_queue is never chosen"),
  })
  .strict();

/** A second region to fail over to (`failover_region`), and where the traffic weights are kept. */
const failoverSettings = z
  .object({
    standby: z
      .object({
        cluster: z.string().min(1).describe("the standby region: a name from `clusters`"),
        namespace: z
          .string()
          .optional()
          .describe("namespace of the standby deployment; the target's when absent"),
        deployment: z.string().optional().describe("standby deployment; the target's name when absent"),
        replicas: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe("replicas to start; the primary's count when absent"),
      })
      .strict(),
    weights: z
      .object({
        cluster: z.string().optional().describe("cluster holding the ConfigMap; the standby's when absent"),
        namespace: z.string().describe("namespace of the ConfigMap"),
        configMap: z
          .string()
          .describe("ConfigMap with one weight per region name (the global load balancer reads it)"),
      })
      .strict(),
  })
  .strict();

/** The Argo CD Application that deploys the service (`rollback_deployment` through Argo CD). */
const argocdSettings = z
  .object({
    application: z
      .string()
      .min(1)
      .describe("Application name; the Deployment's argocd.argoproj.io/instance label when absent"),
  })
  .strict();

/** Who may answer an approval request: Slack user ids and user group ids. */
const approverSet = z
  .object({
    users: z
      .array(z.string().regex(/^[UW][A-Z0-9]{2,}$/, "a Slack user id such as U024BE7LH (not a display name)"))
      .default([])
      .describe("Slack user ids"),
    groups: z
      .array(z.string().regex(/^S[A-Z0-9]{2,}$/, "a Slack user group id such as S0614TZR7 (not a handle)"))
      .default([])
      .describe("Slack user group ids: every member may approve"),
  })
  .strict();

/** Approval requests: who answers them, how many answers the riskiest tiers need, and how long they wait. */
const approvalSettings = z
  .object({
    expiryMinutes: z
      .number()
      .positive()
      .default(10)
      .describe("an approval not given within this time escalates the incident"),
    twoApprovers: z
      .array(z.enum(RISK_TIERS))
      .default(["high"])
      .describe("risk tiers that need two different approvers"),
    byTier: z
      .partialRecord(z.enum(RISK_TIERS), approverSet)
      .default({})
      .describe("approvers of every service's actions of a tier"),
  })
  .strict();

/** Where notifications go, and which outcomes are only summed up in a periodic digest. */
const notificationSettings = z
  .object({
    channel: z.string().min(1).optional().describe("default Slack channel (SLACK_CHANNEL when absent)"),
    bySeverity: z
      .record(z.string(), z.string().min(1))
      .default({})
      .describe("channel per alert severity label, e.g. critical: C0PAGE"),
    digest: z
      .array(z.enum(["advised", "dismissed"]))
      .default(["advised", "dismissed"])
      .describe("outcomes summed up in a digest instead of one message each"),
    digestMinutes: z.number().positive().default(60).describe("how often the digest is posted"),
  })
  .strict();

/** A PromQL ratio of bad to all events over `$window` (e.g. 5m, 1h, 30d), substituted before each query. */
const promRatio = z
  .string()
  .min(1)
  .refine((q) => q.includes("$window"), "the query must use $window for its range, e.g. [$window]");

/** The three SLOs of one service; an SLI without its query is not measured. */
const serviceSlos = z
  .object({
    latency: z
      .object({
        objective: z.number().gt(0).lt(100).default(99.9).describe("% of requests faster than thresholdMs"),
        thresholdMs: z.number().positive().default(150),
        slowRatio: promRatio.describe("share of requests slower than thresholdMs over $window"),
      })
      .strict()
      .optional(),
    availability: z
      .object({
        objective: z.number().gt(0).lt(100).default(99.9).describe("% of requests answered without error"),
        errorRatio: promRatio.describe("share of requests that failed over $window"),
      })
      .strict()
      .optional(),
    failedHeals: z
      .object({
        maxPerWeek: z
          .number()
          .int()
          .min(0)
          .default(5)
          .describe("failed auto-heals a week before falling back"),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** How the SLOs and the record of past actions steer the mode. */
const autonomySettings = z
  .object({
    fastBurnSkipsApproval: z
      .array(z.enum(RISK_TIERS))
      .default(["low"])
      .describe("tiers that act without waiting for approval while a user-facing budget burns fast"),
    burnRate: z
      .object({
        fast: z.number().positive().default(14.4).describe("burn rate over 1h and 5m that counts as fast"),
        slow: z.number().positive().default(6).describe("burn rate over 6h and 30m that counts as slow"),
      })
      .strict()
      .prefault({}),
    sloPeriodDays: z.number().int().min(1).default(30).describe("the window the error budgets cover"),
    breaker: z
      .object({
        failures: z
          .number()
          .int()
          .min(1)
          .default(3)
          .describe("failed heals on one target that open the breaker"),
        windowMinutes: z.number().positive().default(60).describe("the window those failures count in"),
        cooldownMinutes: z.number().positive().default(60).describe("how long an open breaker stays open"),
      })
      .strict()
      .prefault({}),
    earned: z
      .object({
        successRate: z.number().gt(0).max(1).default(0.95).describe("share of actions that verified"),
        minIncidents: z.number().int().min(1).default(20).describe("scored actions needed before proposing"),
        windowDays: z.number().int().min(1).default(30).describe("how far back the record is read"),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const serviceSettings = z
  .object({
    healthUrl: z.string().url().optional().describe("URL that answers 2xx when the service is healthy"),
    target: serviceTarget.optional().describe("the workload this service name maps to"),
    mode: mode.optional().describe("overrides the mode for this service"),
    protected: z.boolean().optional().describe("never act on this service"),
    kafka: kafkaSettings.optional().describe("the consumer group this service is (Kubernetes)"),
    database: databaseSettings.optional().describe("the database Service and its secondary (Kubernetes)"),
    ingress: ingressSettings
      .optional()
      .describe("the ingress-nginx Ingress in front of the service (Kubernetes)"),
    failover: failoverSettings.optional().describe("the standby region and the traffic weights (Kubernetes)"),
    queue: queueSettings.optional().describe("the work queue the service's workers consume (Kubernetes)"),
    calls: z
      .array(z.string().min(1))
      .max(20)
      .optional()
      .describe(
        "the services this one calls (Kubernetes Service names; `name.namespace` or the cluster DNS name for another namespace): with PROMETHEUS_URL, a latency alert here reads their latency history too",
      ),
    traffic: trafficSettings
      .optional()
      .describe("the Service whose traffic reroute_traffic moves between versions (Kubernetes)"),
    argocd: argocdSettings.optional().describe("the Argo CD Application deploying the service (Kubernetes)"),
    approvers: approverSet
      .extend({
        tiers: z
          .array(z.enum(RISK_TIERS))
          .optional()
          .describe("the tiers they may approve; every tier when absent"),
      })
      .optional()
      .describe("who may approve this service's actions, beside approvals.byTier"),
    channel: z.string().min(1).optional().describe("Slack channel for this service's incidents"),
  })
  .strict();

/** A maintenance window: matching alerts are dismissed at triage instead of acted on (a standing silence). */
const maintenanceWindow = z
  .object({
    name: z.string().describe("shown on the incidents it dismisses"),
    matchers: z
      .record(z.string(), z.string())
      .refine((m) => Object.keys(m).length > 0, "at least one label matcher")
      .describe("alert labels that must all be equal (e.g. namespace: shop)"),
    startsAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("start (RFC 3339); open-ended when absent"),
    endsAt: z.iso.datetime({ offset: true }).optional().describe("end (RFC 3339); open-ended when absent"),
  })
  .strict();

/**
 * Environment variables whose values may enter an incident's evidence when no policy lists its own: runtime
 * settings that explain a crash or a memory limit and do not hold credentials. Every other variable shows its
 * name only. The values still pass the secret patterns (a `-D...Password=` in JAVA_TOOL_OPTIONS is hidden).
 */
export const DEFAULT_ENV_ALLOWLIST = [
  "NODE_ENV",
  "NODE_OPTIONS",
  "JAVA_OPTS",
  "JAVA_TOOL_OPTIONS",
  "JDK_JAVA_OPTIONS",
  "GOMAXPROCS",
  "GOMEMLIMIT",
  "GOGC",
  "PYTHONUNBUFFERED",
  "MALLOC_ARENA_MAX",
  "TZ",
  "LANG",
  "LOG_LEVEL",
  "PORT",
] as const;

const evidenceSettings = z
  .object({
    envAllowlist: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, "an environment variable name"))
      .default([...DEFAULT_ENV_ALLOWLIST])
      .describe(
        "environment variables whose values may enter evidence (exact names); the others show their name only",
      ),
  })
  .strict();

/** The policy file (YAML). Every field has a default, so an empty file is a valid policy. */
export const policySchema = z
  .object({
    mode: mode.optional().describe("default mode; AEGIS_MODE when absent"),
    modes: z
      .object({
        byTier: z.partialRecord(z.enum(RISK_TIERS), mode).default({ high: "approve" }),
        byNamespace: z.record(z.string(), mode).default({}),
      })
      .strict()
      .prefault({}),
    // kube-system, and the namespace the shipped manifests (deploy/kubernetes) install AegisOps into.
    protectedNamespaces: z.array(z.string()).default(["kube-system", "aegisops"]),
    protectedContainers: z.array(z.string()).default([]).describe("container names never acted on"),
    allowlist: z.array(actionId).default([...ACTION_IDS]),
    caps: z
      .object({
        actionsPerTargetPerHour: z.number().int().min(0).default(3),
        concurrentRemediations: z.number().int().min(1).default(4),
      })
      .strict()
      .prefault({}),
    verification: z
      .object({
        timeoutSeconds: z.number().positive().optional(),
        retries: z
          .number()
          .int()
          .min(0)
          .max(3)
          .default(1)
          .describe("retries of the action after a failed verification"),
        backoffSeconds: z.number().min(0).default(2),
      })
      .strict()
      .prefault({}),
    services: z.record(z.string(), serviceSettings).default({}),
    clusters: z
      .record(
        z.string(),
        z.object({ context: z.string().min(1).describe("kube context in KUBECONFIG") }).strict(),
      )
      .default({})
      .describe("clusters/regions by name (the `cluster` or `region` alert label), each a kube context"),
    maintenance: z.array(maintenanceWindow).default([]),
    changeFreeze: z
      .object({
        annotations: z
          .array(z.string().min(1))
          .default([])
          .describe(
            'annotations (or labels) that freeze a Kubernetes object: while one is set (to anything but "false"), nothing is done to it',
          ),
      })
      .strict()
      .prefault({})
      .describe("change-freeze markers on objects (a release freeze, a migration in progress)"),
    evidence: evidenceSettings.prefault({}),
    approvals: approvalSettings.prefault({}),
    notifications: notificationSettings.prefault({}),
    slos: z.record(z.string(), serviceSlos).default({}).describe("SLOs per service name"),
    autonomy: autonomySettings.prefault({}),
    predictive: predictiveSchema
      .prefault({})
      .describe("the predictive watcher: series, thresholds, horizons"),
    rightsizing: rightsizingSchema
      .prefault({})
      .describe("aegis audit: prices per vCPU-hour and GiB-hour, usage window, margins"),
  })
  .strict();

export type Policy = z.infer<typeof policySchema>;
export type PolicyMode = z.infer<typeof mode>;
export type ServiceSlos = z.infer<typeof serviceSlos>;
export type AutonomySettings = z.infer<typeof autonomySettings>;
export type ApproverSet = z.infer<typeof approverSet>;
export type MaintenanceWindow = z.infer<typeof maintenanceWindow>;
