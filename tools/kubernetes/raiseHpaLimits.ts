import { z } from "zod";
import { AegisError } from "../../core/errors.ts";
import { actionTool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { mergePatch, toAegisError } from "./kubeErrors.ts";

const parameters = z.object({
  namespace: z.string().min(1).describe("Namespace of the HPA."),
  hpa: z.string().min(1).describe("HPA name."),
  maxReplicas: z.number().int().min(1).max(200).describe("New maximum replica count."),
  minReplicas: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("New minimum replica count; unchanged when absent."),
});

/** `raise_hpa_limits`: raise an HPA's max (and optionally min) replicas; never lowers them. */
export function createRaiseHpaLimitsTool(deps: { kube: KubeClients }) {
  return actionTool({
    action: "raise_hpa_limits",
    description:
      "Raise an HPA's maxReplicas (and optionally minReplicas). Returns the previous bounds, for the undo.",
    parameters,
    execute: async ({ namespace, hpa, maxReplicas, minReplicas }) => {
      const ref = `HPA ${namespace}/${hpa}`;
      try {
        const before = await deps.kube.autoscaling.readNamespacedHorizontalPodAutoscaler({
          name: hpa,
          namespace,
        });
        const prevMax = before.spec?.maxReplicas ?? 0;
        const prevMin = before.spec?.minReplicas ?? 1;
        if (maxReplicas < prevMax || (minReplicas !== undefined && minReplicas < prevMin)) {
          throw new AegisError("action_failed", `${ref}: refusing to lower limits (${prevMin}–${prevMax})`);
        }
        if (minReplicas !== undefined && minReplicas > maxReplicas) {
          throw new AegisError(
            "action_failed",
            `${ref}: minReplicas ${minReplicas} above maxReplicas ${maxReplicas}`,
          );
        }
        await deps.kube.autoscaling.patchNamespacedHorizontalPodAutoscaler(
          { name: hpa, namespace, body: { spec: { maxReplicas, ...(minReplicas ? { minReplicas } : {}) } } },
          mergePatch,
        );
        return {
          hpa,
          previousMin: prevMin,
          previousMax: prevMax,
          minReplicas: minReplicas ?? prevMin,
          maxReplicas,
        };
      } catch (err) {
        throw toAegisError(err, ref, "patching", "action_failed");
      }
    },
  });
}
