import type { KubeEvent } from "../types.ts";
import type { SimContext } from "./context.ts";
import { R, controllerOf } from "./context.ts";

const EVENT_TTL_MS = 3600_000;

/**
 * Garbage collector: objects whose controller owner is gone are deleted (background cascading deletion), and
 * events expire after an hour, as with the API server's default --event-ttl.
 */
export function collectGarbage(ctx: SimContext): void {
  const now = ctx.clock.now();
  for (const e of ctx.store.view(R.events) as readonly KubeEvent[]) {
    if (now - Date.parse(e.lastTimestamp) > EVENT_TTL_MS)
      ctx.store.delete(R.events, e.metadata.namespace, e.metadata.name);
  }
  for (const res of [R.jobs, R.replicasets, R.controllerrevisions, R.endpointslices, R.pods]) {
    for (const o of ctx.store.view(res)) {
      const owner = controllerOf(o);
      if (owner && !ctx.store.hasUid(owner.uid)) {
        ctx.store.delete(res, o.metadata.namespace, o.metadata.name);
        if (res === R.pods) ctx.logs.forget(o.metadata.uid!);
      }
    }
  }
}
