import type { SimContext } from "./context.ts";
import { R, controllerOf } from "./context.ts";

/** Garbage collector: objects whose controller owner is gone are deleted (background cascading deletion). */
export function collectGarbage(ctx: SimContext): void {
  for (const res of [R.replicasets, R.pods]) {
    for (const o of ctx.store.list(res)) {
      const owner = controllerOf(o);
      if (owner && !ctx.store.hasUid(owner.uid)) {
        ctx.store.delete(res, o.metadata.namespace, o.metadata.name);
        if (res === R.pods) ctx.logs.forget(o.metadata.uid!);
      }
    }
  }
}
