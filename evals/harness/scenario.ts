import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { z } from "zod";
import { ACTION_IDS } from "../../core/catalog.ts";
import { alertSchema, webhookSchema } from "../../core/alert.ts";
import { AegisError } from "../../core/errors.ts";
import { parseYaml } from "../../core/yaml.ts";
import { eventSpecSchema, nodeChangeSchema } from "@aegisops/kube-sim";
import { incidentSchema } from "../retrieval/harness.ts";
import { alertmanagerStateSchema } from "./fakeAlertmanager.ts";

/** Where the committed scenario suite lives. */
export const SCENARIOS_DIR = new URL("../scenarios/", import.meta.url).pathname;

const actionId = z.enum(ACTION_IDS as [string, ...string[]]);
const labels = z.record(z.string(), z.string());

/**
 * One alert in shorthand: labels and annotations; the harness fills in what Alertmanager adds (start time,
 * fingerprint, generatorURL from `expr`).
 */
const shorthandAlert = z
  .object({
    status: z.enum(["firing", "resolved"]).default("firing"),
    labels,
    annotations: labels.default({}),
    expr: z.string().optional().describe("the rule's PromQL expression (goes into generatorURL)"),
    /**
     * How long before delivery the alert started (cluster time): a late or repeated delivery, an alert that
     * has fired for hours. Default: about a minute before (the alert's `for:`).
     */
    startsAgoMs: z.number().int().min(0).optional(),
  })
  .strict();

/** One notification: a full Alertmanager v4 payload, or alerts in shorthand. */
const notification = z.union([
  z.object({ payload: webhookSchema.extend({ alerts: z.array(alertSchema).min(1) }) }).strict(),
  z
    .object({
      alerts: z.array(shorthandAlert).min(1),
      /** Virtual milliseconds to let pass before this notification (after the previous one). */
      afterMs: z.number().int().min(0).default(0),
      /** Post this notification while the previous incident is still being worked (a storm, a flap). */
      concurrent: z.boolean().default(false),
    })
    .strict(),
]);

const objectRef = z
  .object({
    kind: z
      .string()
      .describe("a kind the simulator serves (Deployment, Service, ConfigMap, Secret, Node ...)"),
    namespace: z.string().optional(),
    name: z.string(),
  })
  .strict();

/**
 * A change made through the Kubernetes API, as an operator (or a CI pipeline) would make it: a merge patch,
 * manifests applied, an image rolled out, an object deleted, or time let pass.
 */
const kubeStep = z.union([
  z.object({ patch: objectRef.extend({ body: z.record(z.string(), z.unknown()) }).strict() }).strict(),
  z
    .object({
      apply: z
        .string()
        .describe(
          "manifests (YAML, several documents) created or replaced, like kubectl apply; ImageRegistry documents extend the registry",
        ),
    })
    .strict(),
  z
    .object({
      setImage: z
        .object({
          target: z.string().describe("namespace/name of the Deployment"),
          container: z.string().optional().describe("container name (default: the first)"),
          image: z.string(),
        })
        .strict(),
    })
    .strict(),
  z.object({ delete: objectRef }).strict(),
  z.object({ waitMs: z.number().int().min(0).describe("virtual time to let pass") }).strict(),
  z
    .object({
      killContainer: z
        .object({
          target: z.string().describe("namespace/workload: a pod of it is picked as $pod() picks"),
          container: z.string().optional().describe("container name (default: the first)"),
        })
        .strict()
        .describe("a container killed in place (SIGKILL, exit 137), as Chaos Mesh's container-kill does"),
    })
    .strict(),
  z
    .object({
      node: nodeChangeSchema
        .extend({ name: z.string().describe("the node") })
        .strict()
        .describe(
          "a change to a node's world: memory or pids used outside pods, CNI down, kubelet down/flapping",
        ),
    })
    .strict(),
  z
    .object({
      event: eventSpecSchema.describe("an Event about any object, as its component would record it"),
    })
    .strict(),
]);

/**
 * Lines the application itself logs once the faults have developed, appended to the running log of every
 * active pod of the Deployment (e.g. a request an attacker sent that the app echoes into its log).
 */
const kubeLogLines = z
  .object({
    target: z.string().describe("namespace/name of the Deployment whose pods log the lines"),
    lines: z.array(z.string()).min(1),
  })
  .strict();

const fault = z
  .object({
    family: z.string(),
    target: z.string(),
    variant: z.string().optional(),
    params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  })
  .strict();

/** One cluster's objects and history: what it runs, what was done to it, and what went wrong in it. */
const clusterShape = {
  /** `demo` (the simulator's demo cluster) or a manifests file, relative to the scenario file. */
  cluster: z.string().default("demo"),
  /** ImageRegistry documents (YAML) loaded with the cluster, inline or a file relative to the scenario. */
  registry: z.string().optional(),
  /** Changes before the incident (the cluster as it was); the cluster settles after them. */
  setup: z.array(kubeStep).default([]),
  /** Wait until every Deployment's and StatefulSet's rollout finished before and after `setup` (default true). */
  settle: z.boolean().default(true),
  /** The incident as object changes (a rollout, a deleted Secret, a new NetworkPolicy ...), after setup. */
  changes: z.array(kubeStep).default([]),
  /** Fault families (shortcuts for a cause in the world), injected with `changes`. */
  faults: z.array(fault).default([]),
  /** Log lines the pods write after the symptoms developed (untrusted input the agent reads). */
  logs: z.array(kubeLogLines).default([]),
};

const regionName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "a region is a DNS-1123 label (it names a kube context)");

/** Another cluster of the same scenario (a region), with its own objects, history and faults. */
const regionEnv = z.object(clusterShape).strict();

const kubernetesEnv = z
  .object({
    kind: z.literal("kubernetes"),
    ...clusterShape,
    /** Virtual time to let pass after the faults, before the first alert, so the symptoms develop. */
    developMs: z.number().int().min(0).default(30_000),
    /**
     * The name of the cluster above (its kube context) when the scenario has `regions`. Alerts name their
     * cluster with a `cluster` or `region` label, as a multi-cluster Prometheus' external labels do; an alert
     * without one is about this cluster.
     */
    region: regionName.optional(),
    /**
     * More clusters, by name (each its own simulator and kube context, on one clock). Unless the scenario's
     * policy says otherwise, every cluster is mapped to its context under `clusters:`.
     */
    regions: z.record(regionName, regionEnv).default({}),
    /**
     * Serve a Prometheus (PROMETHEUS_URL) over the clusters' own metrics, scraped every 15 s of their virtual time
     * from the start (evals/harness/fakePrometheus.ts): the history readers (latency or 5xx that began with a
     * revision, memory growth) and the alert-expression checks run as with a real one. Default false.
     */
    prometheus: z.boolean().default(false),
  })
  .strict()
  .superRefine((env, ctx) => {
    if (Object.keys(env.regions).length === 0) return;
    if (env.region === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["region"],
        message: "name this cluster's region when `regions` are given",
      });
    else if (env.region in env.regions)
      ctx.addIssue({
        code: "custom",
        path: ["regions", env.region],
        message: "the main cluster's region is named twice",
      });
  });

const recording = z.union([z.string(), z.record(z.string(), z.unknown())]);
/**
 * What the tools return after each action that changes the container; an action not listed leaves the
 * container as `before` (the fault persists, so verification fails).
 */
const afterRecordings = z.partialRecord(actionId, recording).default({});

/** One container of a Compose service: the labels `docker compose` puts on it. */
const composeMembership = z
  .object({
    project: z.string().min(1),
    service: z.string().min(1),
    /** com.docker.compose.container-number (default 1). */
    number: z.number().int().min(1).default(1),
    /** com.docker.compose.oneoff: a `docker compose run` container (default false). */
    oneoff: z.boolean().default(false),
  })
  .strict();

/** One task container of a Swarm service: the labels the engine puts on it. */
const swarmMembership = z
  .object({
    service: z.string().min(1),
    /** The task's slot (replicated services; default 1). */
    slot: z.number().int().min(1).default(1),
    /** The task id (default: derived from the service and slot). */
    taskId: z
      .string()
      .regex(/^[a-z0-9]+$/)
      .optional(),
    /** com.docker.swarm.node.id of the node running the task. */
    node: z.string().min(1).default("node1"),
    /** com.docker.stack.namespace when the service was deployed with `docker stack deploy`. */
    stack: z.string().min(1).optional(),
  })
  .strict();

/**
 * One container of a several-container Docker host. Its name defaults to what Compose (`<project>-<service>-<n>`)
 * or Swarm (`<service>.<slot>.<task id>`) names it; its labels are the recording's, plus `labels`, plus the
 * Compose or Swarm labels.
 */
const dockerContainerSpec = z
  .object({
    name: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, "a Docker container name")
      .optional(),
    compose: composeMembership.optional(),
    swarm: swarmMembership.optional(),
    labels: z.record(z.string(), z.string()).default({}),
    before: recording,
    after: afterRecordings,
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.compose && c.swarm)
      ctx.addIssue({
        code: "custom",
        path: ["swarm"],
        message: "a container is in Compose or in Swarm, not both",
      });
    if (!c.name && !c.compose && !c.swarm)
      ctx.addIssue({
        code: "custom",
        path: ["name"],
        message: "name the container (or give compose or swarm)",
      });
  });
export type DockerContainerSpec = z.output<typeof dockerContainerSpec>;

/**
 * Observations the Docker read tools returned, recorded from a real container (see evals/recorded/): one container
 * (`container`, `before`, `after`), or a host of several (`containers`), e.g. the members of Compose and Swarm
 * services.
 */
const dockerEnv = z
  .object({
    kind: z.literal("docker"),
    container: z.string().optional(),
    /** Recorded tool outputs before any action (file relative to evals/recorded/docker/, or inline). */
    before: recording.optional(),
    after: afterRecordings,
    containers: z.array(dockerContainerSpec).min(1).optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    const single = e.container !== undefined || e.before !== undefined;
    if (single && e.containers)
      ctx.addIssue({
        code: "custom",
        path: ["containers"],
        message: "give `container` and `before`, or `containers`, not both",
      });
    else if (!e.containers && (e.container === undefined || e.before === undefined))
      ctx.addIssue({
        code: "custom",
        path: [e.container === undefined ? "container" : "before"],
        message: "a Docker environment needs `container` and `before`, or `containers`",
      });
    else if (e.containers && Object.keys(e.after).length > 0)
      ctx.addIssue({
        code: "custom",
        path: ["after"],
        message: "with `containers`, give `after` per container",
      });
  });
export type DockerEnv = z.output<typeof dockerEnv>;

/** An acceptable action: the id, and where they matter, the target the decision names and its params. */
const acceptable = z.union([
  actionId,
  z
    .object({
      action: actionId,
      target: z.string().optional(),
      params: z.record(z.string(), z.unknown()).optional(),
    })
    .strict(),
]);

/** Kinds a root cause may name beyond workloads: where the fault lives, not always what is acted on. */
const ROOT_CAUSE_KINDS = [
  "deployment",
  "statefulset",
  "daemonset",
  "job",
  "cronjob",
  "pod",
  "secret",
  "configmap",
  "service",
  "persistentvolumeclaim",
  "networkpolicy",
  "resourcequota",
  "ingress",
  "ingressclass",
  "serviceaccount",
  "role",
  "rolebinding",
  "clusterrole",
  "clusterrolebinding",
  "hpa",
  "node",
  "dependency",
  "region",
  // Chaos Mesh's objects (chaos-mesh.org/v1alpha1): an experiment, or the Schedule that creates them.
  "schedule",
  "podchaos",
  "networkchaos",
  "httpchaos",
  "iochaos",
  "stresschaos",
] as const;
const rootCauseRef = z.union([
  z.string().min(1),
  z
    .object({
      kind: z.enum(ROOT_CAUSE_KINDS),
      namespace: z.string().optional(),
      name: z.string().min(1),
    })
    .strict(),
]);
export type RootCauseRef = z.infer<typeof rootCauseRef>;

/** Root-cause kinds without a namespace: named `<kind>/<name>`. */
const CLUSTER_WIDE_CAUSES: ReadonlySet<string> = new Set([
  "node",
  "dependency",
  "region",
  "ingressclass",
  "clusterrole",
  "clusterrolebinding",
]);

/** The canonical string of a root-cause reference: `node/N`, `dependency/N`, `region/N` or `ns/kind/name`. */
export function rootCauseString(r: RootCauseRef): string {
  if (typeof r === "string") return r;
  if (CLUSTER_WIDE_CAUSES.has(r.kind)) return `${r.kind}/${r.name}`;
  return `${r.namespace ?? "default"}/${r.kind}/${r.name}`;
}

const expectation = z
  .object({
    /** Any one of these is right. `none` means: take no action. */
    actions: z.array(acceptable).min(1),
    /** Actions that must never be sent here: sending one counts as unsafe. */
    forbidden: z.array(actionId).default([]),
    /**
     * The entity the decision must name (`decision.target`): `shop/web` or `shop/deployment/web`,
     * `node/sim-node-1`, `shop/secret/web-db`, `shop/pod/$pod(shop/web)`, `dependency/payments-api`,
     * `region/eu-west`, `chaos-mesh/schedule/quote-abort`; or `{kind, namespace, name}`; or a list of such (any
     * one is right).
     */
    rootCause: z.union([rootCauseRef, z.array(rootCauseRef).min(1)]).optional(),
    /** The incident must end verified healthy (implies an action). */
    verified: z.boolean().default(false),
    /** Statuses the incident may end in; default: resolved when verified, else any terminal status. */
    status: z.array(z.string()).optional(),
  })
  .strict();

export const scenarioSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "lowercase letters, digits, dot, dash, underscore"),
    description: z.string(),
    tags: z.array(z.string()).default([]),
    /** The failure family (DESIGN §3), or `control` for a no-fault scenario. */
    family: z.string(),
    /** A control: nothing is wrong, or nothing may be done; any action sent is a false action. */
    control: z.boolean().default(false),
    environment: z.discriminatedUnion("kind", [kubernetesEnv, dockerEnv]),
    /** Policy overrides, merged over the eval's default policy (services map of the demo cluster). */
    policy: z.record(z.string(), z.unknown()).optional(),
    /** Mode AegisOps runs in for this scenario. */
    mode: z.enum(["advise", "approve", "auto"]).default("auto"),
    notifications: z.array(notification).min(1),
    /**
     * Past incidents already in the runbook memory when the scenario starts (what the learn step recorded
     * then: the action, verified or failed, and the incident's text), e.g. a fix that failed here before.
     */
    memory: z.array(incidentSchema).default([]),
    /**
     * Alertmanager's state (silences, alerts held or already resolved): the harness serves it as an Alertmanager
     * API v2 and points ALERTMANAGER_URL at it, holding the delivered notifications too. Absent: no Alertmanager.
     */
    alertmanager: alertmanagerStateSchema.optional(),
    /** Recorded model exchanges for the llm planner, relative to evals/cassettes/. */
    cassette: z.string().optional(),
    expect: expectation,
  })
  .strict();

export type Scenario = z.infer<typeof scenarioSchema> & { file: string };
export type Acceptable = z.infer<typeof acceptable>;

/** Parse one scenario file; errors name the file, line and field. */
export function parseScenario(text: string, file: string): Scenario {
  return { ...parseYaml(scenarioSchema, text, file, "config_invalid"), file };
}

/** Folders under the scenario directory that hold cluster manifests (`environment.cluster`), not scenarios. */
const CLUSTERS_DIR = "clusters";

/** Every `*.yaml` under `dir` (recursively, except `clusters/`), sorted; duplicate ids are an error. */
export function loadScenarios(dir = SCENARIOS_DIR): Scenario[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (name !== CLUSTERS_DIR) walk(p);
      } else if (/\.ya?ml$/.test(name)) files.push(p);
    }
  };
  walk(dir);
  const seen = new Map<string, string>();
  return files.map((f) => {
    const s = parseScenario(readFileSync(f, "utf8"), relative(process.cwd(), f) || f);
    const other = seen.get(s.id);
    if (other) throw new AegisError("config_invalid", `${s.file}: id "${s.id}" is already used by ${other}`);
    seen.set(s.id, s.file);
    return s;
  });
}

/** Scenarios whose tags, family or id match `filter` (comma-separated: any matches). */
export function filterScenarios(all: readonly Scenario[], filter: string | undefined): Scenario[] {
  if (!filter) return [...all];
  const wanted = filter.split(",").map((t) => t.trim());
  return all.filter((s) =>
    wanted.some((w) => s.tags.includes(w) || s.family === w || s.id === w || (w === "control" && s.control)),
  );
}
