import { z } from "zod";
import { tool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { toAegisError } from "./kubeErrors.ts";
import { iso, podSnapshot, type PodSnapshot } from "./listPods.ts";

/** A node's conditions, taints, cordon state and the pods it hosts. */
export interface NodeSnapshot {
  name: string;
  unschedulable: boolean;
  conditions: Array<{ type: string; status: string; reason: string; message: string; since: string | null }>;
  taints: Array<{ key: string; effect: string }>;
  pods: PodSnapshot[];
}

/** Read one node and the pods scheduled on it. */
export async function readNode(kube: KubeClients, name: string): Promise<NodeSnapshot> {
  try {
    const n = await kube.core.readNode({ name });
    const pods = await kube.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${name}` });
    return {
      name,
      unschedulable: n.spec?.unschedulable === true,
      conditions: (n.status?.conditions ?? []).map((c) => ({
        type: c.type,
        status: c.status,
        reason: c.reason ?? "",
        message: c.message ?? "",
        since: iso(c.lastTransitionTime),
      })),
      taints: (n.spec?.taints ?? []).map((t) => ({ key: t.key, effect: t.effect })),
      pods: pods.items.map(podSnapshot),
    };
  } catch (err) {
    throw toAegisError(err, `node ${name}`, "reading");
  }
}

const parameters = z.object({ node: z.string().min(1).describe("Node name.") });

/** `k8s_node_status`: node conditions (Ready, DiskPressure, ...), taints, cordon state and its pods. */
export function createNodeStatusTool(deps: { kube: KubeClients }) {
  return tool({
    name: "k8s_node_status",
    description:
      "Read a node's conditions (Ready, MemoryPressure, DiskPressure, PIDPressure), taints, whether it is " +
      "cordoned, and the pods scheduled on it.",
    parameters,
    execute: ({ node }) => readNode(deps.kube, node),
  });
}
