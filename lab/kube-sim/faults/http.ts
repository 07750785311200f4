import { R, isPodReady } from "../controllers/context.ts";
import { ApiError } from "../http/status.ts";
import { podsOfDeployment } from "../load.ts";
import type { Deployment } from "../types.ts";
import type { FaultFamily } from "./types.ts";
import { nextImage, num, rollOutImage, stillRuns, targetDeployment } from "./types.ts";

/** 5xx rate: a release with a bug in a request handler answers a share of requests with 500. */
export const http5xx: FaultFamily = {
  family: "http_5xx",
  variants: ["buggy_release"],
  describe: "a new release answers a share of requests with 500",
  inject(ctx, spec) {
    const d = targetDeployment(ctx, spec.target);
    const image = nextImage(d.spec.template.spec.containers[0]?.image);
    ctx.world.revisions.push({ image, behaviour: { errorRatio: num(spec, "errorRatio", 0.3) } });
    rollOutImage(ctx, d, image);
    return {
      cause: `release ${image} of ${d.metadata.name} throws in a request handler`,
      clearedBy: "rollback_deployment",
      active: (c) => stillRuns(c, d, image),
      revert: (c) => {
        const i = c.world.revisions.findIndex((r) => r.image === image);
        if (i >= 0) c.world.revisions.splice(i, 1);
      },
    };
  },
};

/**
 * p95 latency: a noisy neighbour steals CPU on the node of one of the service's pods. Only moving that pod off
 * the node clears it (`recreate_pod_elsewhere`); a plain restart may land on the same node.
 */
export const latencyP95: FaultFamily = {
  family: "latency_p95",
  variants: ["noisy_neighbour"],
  describe: "CPU steal on the node of one of the service's pods makes its requests slow",
  inject(ctx, spec) {
    const d = targetDeployment(ctx, spec.target);
    const pod = podsOfDeployment(ctx, d).find((p) => isPodReady(p) && p.spec.nodeName);
    const node = spec.params?.node ? String(spec.params.node) : pod?.spec.nodeName;
    if (!node)
      throw new ApiError("BadRequest", `deployment ${d.metadata.name} has no running pod to slow down`);
    ctx.world.node(node).noisy = true;
    return {
      cause: `a noisy neighbour on ${node} steals CPU from ${d.metadata.name}'s pod there`,
      clearedBy: "recreate_pod_elsewhere",
      active: (c) => {
        const cur = c.store.peek(R.deployments, d.metadata.namespace, d.metadata.name) as
          Deployment | undefined;
        return (
          !!cur && c.world.node(node).noisy && podsOfDeployment(c, cur).some((p) => p.spec.nodeName === node)
        );
      },
      revert: (c) => {
        c.world.node(node).noisy = false;
      },
    };
  },
};
