import type { KubeObject, Pod } from "../types.ts";
import { parseBytes, parseCpu } from "../world.ts";
import type { SimContext } from "./context.ts";
import { R, isActive } from "./context.ts";
import { podRequest } from "./scheduler.ts";

const COMPUTE = [
  "requests.cpu",
  "requests.memory",
  "limits.cpu",
  "limits.memory",
  "cpu",
  "memory",
  "pods",
] as const;
type Res = (typeof COMPUTE)[number];

function usageOf(p: Pod, r: Res): number {
  if (r === "pods") return 1;
  const [kind, what] = r.includes(".")
    ? (r.split(".") as ["requests" | "limits", "cpu" | "memory"])
    : ["requests" as const, r as "cpu" | "memory"];
  if (kind === "requests") return podRequest(p, what);
  const parse = what === "cpu" ? parseCpu : parseBytes;
  return p.spec.containers.reduce((a, c) => a + (parse(c.resources?.limits?.[what]) ?? 0), 0);
}

function specified(p: Pod, r: Res): boolean {
  if (r === "pods") return true;
  const [kind, what] = r.includes(".") ? r.split(".") : ["requests", r];
  return p.spec.containers.every(
    (c) =>
      (c.resources as Record<string, Record<string, string> | undefined> | undefined)?.[kind!]?.[what!] !==
        undefined ||
      (kind === "requests" && c.resources?.limits?.[what!] !== undefined),
  );
}

const parseQ = (r: Res, q: string) =>
  (r === "pods" ? Number(q) : r.endsWith("cpu") ? parseCpu(q) : parseBytes(q)) ?? 0;
const fmt = (r: Res, v: number) =>
  r === "pods" ? String(v) : r.endsWith("cpu") ? `${Math.round(v * 1000)}m` : `${Math.round(v / 1048576)}Mi`;

/**
 * Admission of a new pod against the namespace's ResourceQuotas, worded as the API server's 403:
 * a missing request/limit the quota tracks, or a quota the pod would exceed. Undefined when it is admitted.
 */
export function quotaRefusal(ctx: SimContext, pod: Pod): string | undefined {
  const ns = pod.metadata.namespace ?? "default";
  const pods = (ctx.store.view(R.pods, ns) as readonly Pod[]).filter(isActive);
  for (const q of ctx.store.view(R.quotas, ns) as readonly KubeObject[]) {
    const hard = ((q.spec as { hard?: Record<string, string> } | undefined)?.hard ?? {}) as Record<
      string,
      string
    >;
    const tracked = COMPUTE.filter((r) => hard[r] !== undefined);
    const unspecified = tracked.filter((r) => !specified(pod, r));
    if (unspecified.length)
      return `pods "${pod.metadata.name}" is forbidden: failed quota: ${q.metadata.name}: must specify ${unspecified.join(",")}`;
    const over = tracked.filter(
      (r) => pods.reduce((a, p) => a + usageOf(p, r), 0) + usageOf(pod, r) > parseQ(r, hard[r]!),
    );
    if (over.length) {
      const part = (f: (r: Res) => string) => over.map((r) => `${r}=${f(r)}`).join(",");
      return `pods "${pod.metadata.name}" is forbidden: exceeded quota: ${q.metadata.name}, requested: ${part((r) => fmt(r, usageOf(pod, r)))}, used: ${part(
        (r) =>
          fmt(
            r,
            pods.reduce((a, p) => a + usageOf(p, r), 0),
          ),
      )}, limited: ${part((r) => hard[r]!)}`;
    }
  }
  return undefined;
}

/** Keeps each ResourceQuota's status (hard and used) current, as the quota controller does. */
export function reconcileQuotas(ctx: SimContext): void {
  for (const q of ctx.store.view(R.quotas)) {
    const hard = ((q.spec as { hard?: Record<string, string> } | undefined)?.hard ?? {}) as Record<
      string,
      string
    >;
    const pods = (ctx.store.view(R.pods, q.metadata.namespace) as readonly Pod[]).filter(isActive);
    const used = Object.fromEntries(
      COMPUTE.filter((r) => hard[r] !== undefined).map((r) => [
        r,
        fmt(
          r,
          pods.reduce((a, p) => a + usageOf(p, r), 0),
        ),
      ]),
    );
    const status = { hard, used };
    if (JSON.stringify(status) !== JSON.stringify(q.status))
      ctx.store.update(
        R.quotas,
        { ...q, status, metadata: { ...q.metadata, resourceVersion: undefined } },
        "status",
      );
  }
}
