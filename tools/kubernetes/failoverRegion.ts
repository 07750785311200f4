import { z } from "zod";
import { pollUntil, type Clock } from "../../core/clock.ts";
import { AegisError } from "../../core/errors.ts";
import { actionTool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { mergePatch, toAegisError } from "./kubeErrors.ts";
import { readRollout } from "./rolloutHistory.ts";

const parameters = z.object({
  fromRegion: z.string().min(1).describe("Region traffic leaves (the failing one)."),
  toRegion: z.string().min(1).describe("Standby region traffic moves to."),
  standby: z
    .object({
      namespace: z.string().min(1).describe("Namespace of the standby deployment."),
      deployment: z.string().min(1).describe("Standby deployment in the standby region."),
      replicas: z.number().int().min(1).describe("Replicas the standby needs to carry the traffic."),
    })
    .describe("What to start in the standby region before any traffic moves."),
  weights: z
    .object({
      namespace: z.string().min(1).describe("Namespace of the ConfigMap."),
      configMap: z
        .string()
        .min(1)
        .describe('ConfigMap whose data holds one weight per region (e.g. us-east: "100").'),
    })
    .describe("Where the traffic weights are kept (read by the global load balancer)."),
  waitMs: z
    .number()
    .int()
    .positive()
    .default(120_000)
    .describe("How long to wait for the standby to be available."),
});

/**
 * `failover_region`: scale the standby deployment up in the standby region, wait until it is available, then shift
 * the traffic weights to it. Traffic never moves to a standby that is not serving. Returns what the undo needs.
 */
export function createFailoverRegionTool(deps: {
  standby: KubeClients;
  weights: KubeClients;
  pollMs?: number;
  clock?: Clock;
}) {
  return actionTool({
    action: "failover_region",
    description:
      "Fail a service over to its standby region: scale the standby deployment up there, wait for it to be " +
      "available, then set the traffic weights in the ConfigMap the policy names (failing region 0, standby 100).",
    parameters,
    execute: async ({ fromRegion, toRegion, standby, weights, waitMs }) => {
      const sref = `deployment ${standby.namespace}/${standby.deployment} in ${toRegion}`;
      const wref = `configmap ${weights.namespace}/${weights.configMap}`;
      let before;
      let cm;
      try {
        before = await readRollout(deps.standby, standby.namespace, standby.deployment);
        cm = await deps.weights.core.readNamespacedConfigMap({
          name: weights.configMap,
          namespace: weights.namespace,
        });
      } catch (err) {
        throw toAegisError(err, `${sref} or ${wref}`, "reading", "action_failed");
      }
      const previousWeights = { ...(cm.data ?? {}) };
      if (!(fromRegion in previousWeights) || !(toRegion in previousWeights)) {
        throw new AegisError("action_failed", `${wref} has no weight for ${fromRegion} and ${toRegion}`);
      }
      const replicas = Math.max(standby.replicas, before.replicas);
      try {
        if (before.replicas < replicas) {
          await deps.standby.apps.patchNamespacedDeploymentScale(
            { name: standby.deployment, namespace: standby.namespace, body: { spec: { replicas } } },
            mergePatch,
          );
        }
        const available = await pollUntil(
          () => readRollout(deps.standby, standby.namespace, standby.deployment),
          (d) => d.availableReplicas >= replicas && d.readyReplicas >= replicas,
          { timeoutMs: waitMs, intervalMs: deps.pollMs ?? 250, clock: deps.clock },
        );
        if (!available.done) {
          throw new AegisError(
            "action_failed",
            `${sref} not available after ${Math.round(waitMs / 1000)} s (${available.last.availableReplicas}/${replicas}); traffic not moved`,
          );
        }
        const next = { ...previousWeights, [fromRegion]: "0", [toRegion]: "100" };
        await deps.weights.core.patchNamespacedConfigMap(
          { name: weights.configMap, namespace: weights.namespace, body: { data: next } },
          mergePatch,
        );
        return {
          fromRegion,
          toRegion,
          standby: standby.deployment,
          previousReplicas: before.replicas,
          replicas,
          weightsConfigMap: `${weights.namespace}/${weights.configMap}`,
          previousWeights,
          weights: next,
        };
      } catch (err) {
        throw toAegisError(err, sref, "failing over to", "action_failed");
      }
    },
  });
}
