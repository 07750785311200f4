import { z } from "zod";
import { AegisError } from "../../core/errors.ts";
import { actionTool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { toAegisError } from "./kubeErrors.ts";
import { moveServiceSelector, readSelector } from "./serviceSelector.ts";

const parameters = z.object({
  namespace: z.string().min(1).describe("Namespace of the Service."),
  service: z.string().min(1).describe("Service whose traffic moves (the one the policy names)."),
  versionLabel: z.string().min(1).describe("Pod label that tells the versions apart, e.g. version."),
  to: z.string().min(1).describe("Value of the version label to send all traffic to (the healthy version)."),
});

/**
 * `reroute_traffic`: pin a Service's selector to one version (adds `versionLabel=to`), so the pods of the other
 * version(s) leave its endpoints. Returns the previous selector whole, for the undo.
 */
export function createRerouteTrafficTool(deps: { kube: KubeClients }) {
  return actionTool({
    action: "reroute_traffic",
    description:
      "Send all of a Service's traffic to one version of the app by adding the version label to its selector " +
      "(e.g. app=web → app=web,version=v1). Refuses when no Ready pod of that version is behind the Service. " +
      "Returns the previous selector, for the undo.",
    parameters,
    execute: async ({ namespace, service, versionLabel, to }) => {
      const ref = `service ${namespace}/${service}`;
      try {
        const previous = await readSelector(deps.kube, namespace, service);
        if (Object.keys(previous).length === 0)
          throw new AegisError("action_failed", `${ref} has no selector (its endpoints are managed by hand)`);
        if (previous[versionLabel] === to)
          throw new AegisError("action_failed", `${ref} already sends its traffic to ${versionLabel}=${to}`);
        const next = { ...previous, [versionLabel]: to };
        const readyPods = await moveServiceSelector(deps.kube, { namespace, service, ref, next });
        return {
          namespace,
          service,
          versionLabel,
          to,
          previousSelector: previous,
          selector: next,
          readyPods,
        };
      } catch (err) {
        throw toAegisError(err, ref, "rerouting", "action_failed");
      }
    },
  });
}
