import { rfc3339 } from "../clock.ts";
import type { Pod } from "../types.ts";
import type { SimContext } from "./context.ts";
import { R } from "./context.ts";

/** The grace period a pod's spec asks for (the API server's default is 30 s). */
const DEFAULT_GRACE_S = 30;

/**
 * Deletes a pod as the API server and kubelet would. A process that exits on SIGTERM is gone at once (the
 * simulator does not model the few seconds that takes). A hung process (`world.hung`) never exits: the pod is
 * only marked Terminating (deletionTimestamp, deletionGracePeriodSeconds) and stays so until a delete with
 * `gracePeriodSeconds: 0` (a force delete) removes the object. Returns the pod as the DELETE answers it.
 */
export function terminatePod(
  ctx: SimContext,
  namespace: string,
  name: string,
  gracePeriodSeconds: number | undefined,
): Pod {
  const pod = ctx.store.mustGet(R.pods, namespace, name) as Pod;
  const hung = ctx.world.hung.has(pod.metadata.uid!);
  if (!hung || gracePeriodSeconds === 0) return ctx.store.delete(R.pods, namespace, name) as Pod;
  if (pod.metadata.deletionTimestamp) return pod;
  const grace =
    gracePeriodSeconds ??
    (typeof pod.spec.terminationGracePeriodSeconds === "number"
      ? pod.spec.terminationGracePeriodSeconds
      : DEFAULT_GRACE_S);
  const c = pod.spec.containers[0]?.name ?? "";
  ctx.events.record(pod, "Normal", "Killing", `Stopping container ${c}`, "kubelet", pod.spec.nodeName);
  return ctx.store.update(R.pods, {
    ...pod,
    metadata: {
      ...pod.metadata,
      resourceVersion: undefined,
      deletionTimestamp: rfc3339(ctx.clock.now() + grace * 1000),
      deletionGracePeriodSeconds: grace,
    },
  }) as Pod;
}

/** The grace period a DELETE asked for: the `gracePeriodSeconds` query parameter or DeleteOptions body. */
export function requestedGrace(query: URLSearchParams, body: Buffer): number | undefined {
  const q = query.get("gracePeriodSeconds");
  if (q !== null && q !== "") return Number(q);
  if (body.length === 0) return undefined;
  try {
    const opts = JSON.parse(body.toString("utf8")) as { gracePeriodSeconds?: unknown };
    return typeof opts.gracePeriodSeconds === "number" ? opts.gracePeriodSeconds : undefined;
  } catch {
    return undefined;
  }
}
