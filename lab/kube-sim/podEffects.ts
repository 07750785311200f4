import type { RevisionBehaviour } from "./registry.ts";

/** An HTTP fault a proxy in the pod's network namespace applies to requests it receives (Chaos Mesh HTTPChaos). */
export interface HttpFault {
  /** The port the proxied server listens on (undefined: every port). */
  port?: number | undefined;
  /** The request method it applies to (undefined: every method). */
  method?: string | undefined;
  /** A path pattern (`*` or a prefix; undefined: every path). */
  path?: string | undefined;
  /** The request is dropped: the client sees its connection closed. */
  abort?: boolean;
  /** The request is held this long before it is forwarded. */
  delayMs?: number;
  /** The request body is replaced: the server answers it as the bad input it is (a 500 from its handler). */
  tamper?: boolean;
}

/**
 * Something outside the image that changes how a pod's processes behave while it lasts: a chaos experiment
 * (stress, network rules, an HTTP proxy, I/O faults) or a feature flag the process re-reads. `behaviour` is
 * added to the image's own (numbers add, lists append, the rest overrides); `packetLoss` and `http` act on the
 * traffic to the pod.
 */
export interface PodEffect {
  /** What causes it, as `namespace/kind/name` (for logs and the lab's listing). */
  source: string;
  /** Containers it applies to (undefined: all of the pod's). */
  containers?: string[] | undefined;
  behaviour?: RevisionBehaviour;
  /** Delay added to every packet to and from the pod (ms): its callers wait, its probes may time out. */
  netDelayMs?: number;
  /** Share of packets to and from the pod dropped (0..1). */
  packetLoss?: number;
  http?: HttpFault[];
}

const ADDED = new Set([
  "latencyMs",
  "memoryMiB",
  "cpuMillicores",
  "leakMiBPerMin",
  "diskMiB",
  "diskMiBPerMin",
]);

/** The image's behaviour with the effects that apply to `container` merged in. */
export function withEffects(
  base: RevisionBehaviour,
  container: string,
  effects: readonly PodEffect[],
): RevisionBehaviour {
  const out: RevisionBehaviour = { ...base };
  const rec = out as Record<string, unknown>;
  for (const e of effects) {
    if (!e.behaviour || (e.containers && !e.containers.includes(container))) continue;
    for (const [k, v] of Object.entries(e.behaviour)) {
      if (v === undefined) continue;
      const cur = rec[k];
      if (ADDED.has(k) && typeof v === "number") {
        const dflt = k === "memoryMiB" ? 96 : 0;
        rec[k] = (typeof cur === "number" ? cur : dflt) + v;
      } else if (k === "errorRatio" && typeof v === "number") {
        rec[k] = 1 - (1 - (typeof cur === "number" ? cur : 0)) * (1 - v);
      } else if (k === "hangAfterMs" && typeof v === "number") {
        rec[k] = typeof cur === "number" ? Math.min(cur, v) : v;
      } else if (Array.isArray(v)) {
        rec[k] = [...(Array.isArray(cur) ? cur : []), ...v];
      } else rec[k] = v;
    }
  }
  return out;
}

/** The share of packets lost to and from a pod (the worst of its effects). */
export function packetLossOf(effects: readonly PodEffect[]): number {
  return effects.reduce((a, e) => Math.max(a, e.packetLoss ?? 0), 0);
}

/** Whether an HTTP fault applies to a request. */
export function httpFaultMatches(
  f: HttpFault,
  req: { port?: number | undefined; method: string; path: string },
): boolean {
  if (f.port !== undefined && req.port !== undefined && f.port !== req.port) return false;
  if (f.method && f.method.toUpperCase() !== req.method.toUpperCase()) return false;
  if (f.path && f.path !== "*" && f.path !== "/*") {
    const prefix = f.path.endsWith("*") ? f.path.slice(0, -1) : f.path;
    if (!req.path.startsWith(prefix)) return false;
  }
  return true;
}

/** The HTTP faults of a pod's effects. */
export function httpFaultsOf(effects: readonly PodEffect[]): HttpFault[] {
  return effects.flatMap((e) => e.http ?? []);
}

/** The network delay on a pod's packets (ms). */
export function netDelayOf(effects: readonly PodEffect[]): number {
  return effects.reduce((a, e) => a + (e.netDelayMs ?? 0), 0);
}
