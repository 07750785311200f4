import { z } from "zod";
import { actionTool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { deploymentParams } from "./params.ts";
import { mergePatch, toAegisError } from "./kubeErrors.ts";

const parameters = z.object({
  ...deploymentParams,
  replicas: z
    .number()
    .int()
    .min(1)
    .max(100)
    .describe("Replica count to set (an absolute number, so a replay is idempotent)."),
});

/** `scale_deployment`: set a deployment's replica count through the scale subresource. */
export function createScaleDeploymentTool(deps: { kube: KubeClients; name?: string }) {
  return actionTool({
    action: "scale_deployment",
    ...(deps.name ? { name: deps.name } : {}),
    description: "Set a deployment's replica count. Returns the previous count, for the undo.",
    parameters,
    execute: async ({ namespace, deployment, replicas }) => {
      try {
        const before = await deps.kube.apps.readNamespacedDeploymentScale({ name: deployment, namespace });
        await deps.kube.apps.patchNamespacedDeploymentScale(
          { name: deployment, namespace, body: { spec: { replicas } } },
          mergePatch,
        );
        return { deployment, previousReplicas: before.spec?.replicas ?? 0, replicas };
      } catch (err) {
        throw toAegisError(err, `deployment ${namespace}/${deployment}`, "scaling", "action_failed");
      }
    },
  });
}
