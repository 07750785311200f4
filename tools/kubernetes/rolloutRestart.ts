import { z } from "zod";
import { actionTool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { deploymentParams } from "./params.ts";
import { mergePatch, toAegisError } from "./kubeErrors.ts";

/** The annotation `kubectl rollout restart` sets; a new value rolls every pod with surge. */
export const RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";

const parameters = z.object({
  ...deploymentParams,
});

/** `rollout_restart`: replace every pod of a deployment by a rolling update (new pods before old ones go). */
export function createRolloutRestartTool(deps: { kube: KubeClients }) {
  return actionTool({
    action: "rollout_restart",
    description:
      "Rolling restart of a deployment (what `kubectl rollout restart` does): new pods start before old " +
      "ones stop, within maxSurge/maxUnavailable. Returns the generation before and after.",
    parameters,
    execute: async ({ namespace, deployment }) => {
      const restartedAt = new Date().toISOString();
      try {
        const before = await deps.kube.apps.readNamespacedDeployment({ name: deployment, namespace });
        const after = await deps.kube.apps.patchNamespacedDeployment(
          {
            name: deployment,
            namespace,
            body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: restartedAt } } } } },
          },
          mergePatch,
        );
        return {
          deployment,
          restartedAt,
          generationBefore: before.metadata?.generation ?? 0,
          generationAfter: after.metadata?.generation ?? 0,
        };
      } catch (err) {
        throw toAegisError(err, `deployment ${namespace}/${deployment}`, "restarting", "action_failed");
      }
    },
  });
}
