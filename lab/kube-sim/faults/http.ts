import { R, isPodReady } from "../controllers/context.ts";
import { ApiError } from "../http/status.ts";
import { podsOfDeployment } from "../load.ts";
import type { SimContext } from "../controllers/context.ts";
import { selectorMatches } from "../http/selectors.ts";
import type { Deployment, KubeObject } from "../types.ts";
import type { FaultFamily, FaultSpec, InjectedCause } from "./types.ts";
import { nextImage, num, rollOutImage, stillRuns, targetDeployment } from "./types.ts";

/** 5xx rate: a release with a bug in a request handler answers a share of requests with 500. */
export const http5xx: FaultFamily = {
  family: "http_5xx",
  variants: ["buggy_release", "bad_version"],
  describe:
    "a new release answers a share of requests with 500 (bad_version: the version one Deployment of an app runs, " +
    "e.g. a canary, does so from the start, beside a healthy version behind the same Service)",
  inject(ctx, spec) {
    if (spec.variant === "bad_version") return badVersion(ctx, spec);
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

/**
 * One version of an app fails: the Deployment running it (a canary, a blue/green colour) answers a share of
 * requests with 500 from its first revision, so there is nothing to roll back. Cleared when the app's Service
 * (`params.service`, else the app label) no longer selects its pods.
 */
function badVersion(ctx: SimContext, spec: FaultSpec): InjectedCause {
  const d = targetDeployment(ctx, spec.target);
  const image = d.spec.template.spec.containers[0]?.image ?? "";
  const ns = d.metadata.namespace!;
  const service = String(spec.params?.service ?? d.spec.template.metadata?.labels?.app ?? d.metadata.name);
  if (!ctx.store.peek(R.services, ns, service))
    throw new ApiError("NotFound", `services "${service}" not found in namespace "${ns}"`);
  const rule = { image, behaviour: { errorRatio: num(spec, "errorRatio", 0.4) } };
  ctx.world.revisions.push(rule);
  return {
    cause: `${d.metadata.name} runs ${image}, which throws in a request handler, behind Service ${service}`,
    clearedBy: "reroute_traffic",
    active: (c) => {
      const svc = c.store.peek(R.services, ns, service) as
        (KubeObject & { spec?: { selector?: Record<string, string> } }) | undefined;
      const cur = c.store.peek(R.deployments, ns, d.metadata.name) as Deployment | undefined;
      if (!svc?.spec?.selector || !cur) return false;
      return podsOfDeployment(c, cur).some(
        (p) =>
          p.spec.containers.some((x) => x.image === image) &&
          selectorMatches({ matchLabels: svc.spec!.selector! }, p.metadata.labels),
      );
    },
    revert: (c) => {
      const i = c.world.revisions.indexOf(rule);
      if (i >= 0) c.world.revisions.splice(i, 1);
    },
  };
}
