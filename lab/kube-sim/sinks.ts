import type { SimContext } from "./controllers/context.ts";
import { R, isPodReady } from "./controllers/context.ts";
import { serviceLoad } from "./load.ts";
import type { Deployment } from "./types.ts";

/**
 * Seconds a Deployment's worker waits on the services it writes to (its `calls`) for each message: the sinks'
 * own median latency as they serve right now (their CPU throttling, their image's latency, their database), the
 * slowest sink counting. Infinity when a sink has no ready pod (the worker blocks); 0 without sinks.
 */
export function sinkDelaySeconds(ctx: SimContext, ns: string, deployment: string): number {
  const calls = ctx.world.services.get(`${ns}/${deployment}`)?.calls ?? [];
  let delay = 0;
  for (const name of calls) {
    const sink = ctx.store.peek(R.deployments, ns, name) as Deployment | undefined;
    if (!sink) continue;
    const ready = serviceLoad(ctx, sink).pods.filter((p) => isPodReady(p.pod));
    if (!ready.length) return Infinity;
    delay = Math.max(delay, ready.reduce((n, p) => n + p.p50, 0) / ready.length);
  }
  return delay;
}

/** A consumer's messages per second once each message also waits `delaySeconds` on its sinks. */
export function rateWithSinks(rate: number, delaySeconds: number): number {
  if (delaySeconds === Infinity || rate <= 0) return 0;
  return delaySeconds > 0 ? 1 / (1 / rate + delaySeconds) : rate;
}
