import type { SimContext } from "../controllers/context.ts";
import { R } from "../controllers/context.ts";
import { ApiError } from "../http/status.ts";
import { podsOfDeployment } from "../load.ts";
import type { Deployment } from "../types.ts";

/** The failure families (DESIGN §3 canonical names) the simulator can inject. */
export const FAULT_FAMILIES = [
  "crashloop",
  "oom_killed",
  "memory_leak",
  "node_not_ready",
  "disk_pressure",
  "http_5xx",
  "latency_p95",
  "hung_service",
  "pod_degraded",
  "db_latency",
  "packet_loss",
  "traffic_spike",
  "kafka_lag",
  "queue_depth",
  "upstream_throttling",
] as const;

export type FaultFamilyName = (typeof FAULT_FAMILIES)[number];

/** A request to inject a fault. */
export interface FaultSpec {
  family: FaultFamilyName;
  /** `namespace/name` of a Deployment (or Service for db_latency), or a node name for node faults. */
  target: string;
  variant?: string;
  params?: Record<string, string | number>;
}

/** What an injection put into the world: its cause, and how to tell whether its symptoms can still appear. */
export interface InjectedCause {
  /** The cause in the simulated world, in words. */
  cause: string;
  /** The action that removes the cause (a DESIGN §3 action id, or a plain description). */
  clearedBy: string;
  /** True while the cause is in place (the symptoms persist). */
  active(ctx: SimContext): boolean;
  /** Removes the cause directly (the lab's own reset, not a healing action). */
  revert(ctx: SimContext): void;
}

/** One fault family: injects its cause into the world. */
export interface FaultFamily {
  family: FaultFamilyName;
  variants: string[];
  describe: string;
  inject(ctx: SimContext, spec: FaultSpec): InjectedCause;
}

/** Splits `ns/name` (namespace defaults to `default`). */
export function splitTarget(target: string): { namespace: string; name: string } {
  const i = target.indexOf("/");
  return i < 0
    ? { namespace: "default", name: target }
    : { namespace: target.slice(0, i), name: target.slice(i + 1) };
}

/** The target Deployment or a 404 Status. */
export function targetDeployment(ctx: SimContext, target: string): Deployment {
  const { namespace, name } = splitTarget(target);
  const d = ctx.store.peek(R.deployments, namespace, name) as Deployment | undefined;
  if (!d) throw new ApiError("NotFound", `deployments.apps "${name}" not found in namespace "${namespace}"`);
  return d;
}

/** The next release tag of an image (`web:1.4.2` → `web:1.4.3`), so a bad revision looks like any release. */
export function nextImage(image: string | undefined): string {
  const img = image ?? "app:1.0.0";
  const i = img.lastIndexOf(":");
  const repo = i > img.lastIndexOf("/") ? img.slice(0, i) : img;
  const tag = i > img.lastIndexOf("/") ? img.slice(i + 1) : "latest";
  const m = /^(v?\d+\.\d+\.)(\d+)$/.exec(tag);
  return `${repo}:${m ? `${m[1]}${Number(m[2]) + 1}` : `${tag}-r${Date.now() % 1000}`}`;
}

/** Rolls out a new revision of a Deployment whose first container runs `image` (a new ReplicaSet). */
export function rollOutImage(ctx: SimContext, d: Deployment, image: string): void {
  const containers = d.spec.template.spec.containers.map((c, i) => (i === 0 ? { ...c, image } : c));
  ctx.store.update(
    R.deployments,
    {
      ...d,
      metadata: { ...d.metadata, resourceVersion: undefined },
      spec: { ...d.spec, template: { ...d.spec.template, spec: { ...d.spec.template.spec, containers } } },
    },
    "spec",
  );
}

/** True while the Deployment's template or any of its ReplicaSets' live pods still run `image`. */
export function stillRuns(ctx: SimContext, d: Deployment, image: string): boolean {
  const cur = ctx.store.peek(R.deployments, d.metadata.namespace, d.metadata.name) as Deployment | undefined;
  if (!cur) return false;
  if (cur.spec.template.spec.containers.some((c) => c.image === image)) return true;
  return podsOfDeployment(ctx, cur).some((p) => p.spec.containers.some((c) => c.image === image));
}

export const num = (spec: FaultSpec, key: string, dflt: number): number => {
  const v = spec.params?.[key];
  return v === undefined ? dflt : Number(v);
};
