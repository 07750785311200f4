import type { K8sRefResource, Target } from "../../../core/types.ts";
import type { Policy } from "../../policy/schema.ts";

/** Labels of one alert (the series' labels plus the rule's own). */
export type Labels = Readonly<Record<string, string>>;

/** What one row made of an alert's labels. */
export type Resolution =
  | { found: Target }
  /**
   * The row knows what the labels name (a consumer group, a queue, a database) but only the policy can say which
   * workload that is, and it does not: escalate, naming the policy entry that would map it.
   */
  | { needsPolicy: { what: string; entry: string } }
  /** The labels name something no catalog action can act on (a Job, the API server): escalate and say so. */
  | { notActionable: string };

/** One row of a label convention: when its labels are present, what they name. */
export interface Row {
  /** Labels that must all be present (non-empty) for the row to apply. */
  needs: readonly string[];
  /** A further condition on the labels (e.g. the `job` label names a node exporter). */
  when?: (labels: Labels) => boolean;
  resolve: (labels: Labels, ctx: ResolveContext) => Resolution | undefined;
}

/** A label convention: the labels one family of exporters or rule sets puts on its alerts. */
export interface LabelTable {
  name: string;
  /** Where the convention comes from, for the README and for people reading an escalation. */
  source: string;
  rows: readonly Row[];
}

export interface ResolveContext {
  policy: Policy;
  /** Kubernetes cluster from the `cluster`/`region` label (a kube context in the policy). */
  cluster: string | undefined;
}

/** A Kubernetes workload target (the keys are what "one open incident per target" groups on). */
export function k8sWorkload(
  ctx: ResolveContext,
  namespace: string,
  workload: "pod" | "deployment" | "statefulset" | "daemonset",
  name: string,
  container?: string,
): Resolution {
  const c = ctx.cluster;
  return {
    found: {
      kind: "k8s_workload",
      key: `k8s:${c ?? ""}:${namespace}/${workload}/${name}`,
      namespace,
      workload,
      name,
      ...(container ? { container } : {}),
      ...(c ? { cluster: c } : {}),
    },
  };
}

export function k8sNode(ctx: ResolveContext, name: string): Resolution {
  const c = ctx.cluster;
  return {
    found: { kind: "k8s_node", key: `k8s:${c ?? ""}:node/${name}`, name, ...(c ? { cluster: c } : {}) },
  };
}

/** A Kubernetes object that the platform pins to its workload (or node) at triage. */
export function k8sRef(
  ctx: ResolveContext,
  resource: K8sRefResource,
  name: string,
  namespace: string | undefined,
  via: string,
): Resolution {
  const c = ctx.cluster;
  return {
    found: {
      kind: "k8s_ref",
      key: `k8s:${c ?? ""}:${namespace ? `${namespace}/` : ""}${resource}/${name}`,
      resource,
      name,
      via,
      ...(namespace ? { namespace } : {}),
      ...(c ? { cluster: c } : {}),
    },
  };
}

export function dockerContainer(name: string): Resolution {
  const clean = name.replace(/^\//, "");
  return { found: { kind: "docker_container", key: `docker:container/${clean}`, name: clean } };
}

/**
 * A Compose service. With its project, the key names the project too (one service name can live in several
 * projects); with the container an alert names exactly, that member is the one acted on.
 */
export function dockerService(service: string, opts: { project?: string; member?: string } = {}): Resolution {
  const project = opts.project || undefined;
  const member = opts.member?.replace(/^\//, "") || undefined;
  return {
    found: {
      kind: "docker_service",
      key: project ? `docker:service/${project}/${service}` : `docker:service/${service}`,
      service,
      ...(project ? { project } : {}),
      ...(member ? { member } : {}),
    },
  };
}

/** `host` of `host:port`, `[v6]:port` or a URL; undefined when there is none. */
export function hostOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return new URL(value).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return undefined;
  }
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (v6) return v6[1];
  return value.replace(/:\d+$/, "") || undefined;
}

/** `name.namespace.svc[.cluster.local]` → the Service and its namespace. */
export function serviceOfHost(host: string | undefined): { name: string; namespace: string } | undefined {
  const m = host ? /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.[a-z0-9.-]+)?\.?$/.exec(host) : null;
  return m?.[1] && m[2] ? { name: m[1], namespace: m[2] } : undefined;
}

/** The job label names this exporter (scrape configs name jobs after the exporter, with many spellings). */
export const jobMatches =
  (pattern: RegExp) =>
  (labels: Labels): boolean =>
    pattern.test(labels.job ?? "");
