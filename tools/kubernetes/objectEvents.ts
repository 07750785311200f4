import { z } from "zod";
import { tool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { iso } from "./listPods.ts";
import { toAegisError } from "./kubeErrors.ts";

/** One Kubernetes event about an object. */
export interface KubeEvent {
  type: string;
  reason: string;
  message: string;
  count: number;
  object: string;
  last: string | null;
}

const parameters = z.object({
  namespace: z.string().min(1).describe("Namespace of the object (`default` for nodes)."),
  name: z
    .string()
    .optional()
    .describe("Name of the involved object; all events of the namespace when absent."),
  limit: z.number().int().min(1).max(200).default(50).describe("Newest events to return."),
});

/** `k8s_events`: recent events (BackOff, Failed, OOMKilling, NodeNotReady, ...) about an object. */
export function createEventsTool(deps: { kube: KubeClients }) {
  return tool({
    name: "k8s_events",
    description:
      "List recent Kubernetes events about an object or a namespace, newest last: reason, message, count.",
    parameters,
    execute: async ({ namespace, name, limit }): Promise<{ events: KubeEvent[] }> => {
      try {
        const list = await deps.kube.core.listNamespacedEvent({
          namespace,
          ...(name ? { fieldSelector: `involvedObject.name=${name}` } : {}),
        });
        const events = list.items.map((e) => ({
          type: e.type ?? "",
          reason: e.reason ?? "",
          message: e.message ?? "",
          count: e.count ?? 1,
          object: `${e.involvedObject.kind ?? ""}/${e.involvedObject.name ?? ""}`,
          last: iso(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp),
        }));
        events.sort((a, b) => (a.last ?? "").localeCompare(b.last ?? ""));
        return { events: events.slice(-limit) };
      } catch (err) {
        throw toAegisError(err, `events in ${namespace}`, "listing");
      }
    },
  });
}
