import { z } from "zod";
import { AegisError } from "../../core/errors.ts";
import { actionTool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { toAegisError } from "./kubeErrors.ts";
import { moveServiceSelector, readSelector } from "./serviceSelector.ts";

const parameters = z.object({
  namespace: z.string().min(1).describe("Namespace of the database Service."),
  service: z.string().min(1).describe("Service the clients connect to."),
  selectorKey: z.string().min(1).describe("Selector label that picks the instance, e.g. role."),
  to: z.string().min(1).describe("Selector value of the instance to send clients to, e.g. secondary."),
});

/** `failover_database`: point a database Service's selector at the other instance (the policy names both). */
export function createFailoverDatabaseTool(deps: { kube: KubeClients }) {
  return actionTool({
    action: "failover_database",
    description:
      "Fail a database over by changing its Service's selector (e.g. role=primary → role=secondary). " +
      "Refuses when no ready pod matches the new selector. Returns the previous value, for the undo.",
    parameters,
    execute: async ({ namespace, service, selectorKey, to }) => {
      const ref = `service ${namespace}/${service}`;
      try {
        const selector = await readSelector(deps.kube, namespace, service);
        const from = selector[selectorKey];
        if (from === undefined)
          throw new AegisError("action_failed", `${ref} has no ${selectorKey} in its selector`);
        const next = { ...selector, [selectorKey]: to };
        const readyPods = await moveServiceSelector(deps.kube, { namespace, service, ref, next });
        return { service, selectorKey, from, to, readyPods };
      } catch (err) {
        throw toAegisError(err, ref, "failing over", "action_failed");
      }
    },
  });
}
