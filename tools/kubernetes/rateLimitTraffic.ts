import { z } from "zod";
import { actionTool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { mergePatch, toAegisError } from "./kubeErrors.ts";

/** The ingress-nginx annotation for requests per second per client IP. */
export const LIMIT_RPS = "nginx.ingress.kubernetes.io/limit-rps";

const parameters = z.object({
  namespace: z.string().min(1).describe("Namespace of the Ingress."),
  ingress: z.string().min(1).describe("Ingress name (ingress-nginx)."),
  limitRps: z.number().int().min(1).describe("Requests per second allowed per client IP."),
});

/** `rate_limit_traffic`: set ingress-nginx's limit-rps annotation on an Ingress. */
export function createRateLimitTrafficTool(deps: { kube: KubeClients }) {
  return actionTool({
    action: "rate_limit_traffic",
    description:
      "Rate-limit inbound traffic with ingress-nginx's limit-rps annotation on an Ingress. Returns the " +
      "previous value (null when unset), for the undo.",
    parameters,
    execute: async ({ namespace, ingress, limitRps }) => {
      const ref = `ingress ${namespace}/${ingress}`;
      try {
        const before = await deps.kube.networking.readNamespacedIngress({ name: ingress, namespace });
        const previous = before.metadata?.annotations?.[LIMIT_RPS] ?? null;
        await deps.kube.networking.patchNamespacedIngress(
          {
            name: ingress,
            namespace,
            body: { metadata: { annotations: { [LIMIT_RPS]: String(limitRps) } } },
          },
          mergePatch,
        );
        return { ingress, previous, limitRps };
      } catch (err) {
        throw toAegisError(err, ref, "rate-limiting", "action_failed");
      }
    },
  });
}
