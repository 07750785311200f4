import { AegisError } from "../../../core/errors.ts";
import type { Target } from "../../../core/types.ts";
import type { Tool } from "../../../tools/tool.ts";
import { bindTool } from "../boundTool.ts";

/** The Kubernetes read tools a planner may be offered, unbound. */
export interface KubeReadTools {
  pods: Tool;
  logs: Tool;
  podMetrics: Tool;
  history: Tool;
  node: Tool;
  events: Tool;
  hpas: Tool;
  pdbs: Tool;
}

type PodList = { pods: Array<{ name: string; node?: string | null }> };

/**
 * The read tools for one incident, bound to its object as the Docker ones are to the container: a workload's
 * namespace (and the deployment itself where the target is one); a node's name. What cannot be bound by an
 * argument is checked: a node's status only for a node running a pod of the incident's namespace, a pod's logs
 * on a node incident only for a pod on that node. PromQL tools are not namespaced and are added by the caller.
 */
export function boundKubernetesReadTools(target: Target, tools: KubeReadTools): Tool[] {
  if (target.kind === "k8s_workload") {
    const ns = { namespace: target.namespace };
    const podsOnNode = async (node: string) =>
      ((await tools.pods.execute({ namespace: target.namespace, node })) as PodList).pods;
    return [
      bindTool(tools.pods, ns),
      bindTool(tools.logs, ns),
      bindTool(tools.podMetrics, ns),
      bindTool(tools.history, target.workload === "deployment" ? { ...ns, deployment: target.name } : ns),
      bindTool(tools.events, ns),
      bindTool(tools.hpas, ns),
      bindTool(tools.pdbs, ns),
      bindTool(
        tools.node,
        {},
        {
          check: async ({ node }) => {
            if ((await podsOnNode(String(node))).length === 0) {
              throw new AegisError(
                "tool_failed",
                `node ${String(node)} runs no pod of namespace ${target.namespace}: outside this incident`,
              );
            }
          },
        },
      ),
    ];
  }
  if (target.kind === "k8s_node") {
    const node = target.name;
    return [
      bindTool(tools.node, { node }),
      bindTool(tools.pods, { node }),
      bindTool(tools.events, { namespace: "default", name: node }),
      bindTool(
        tools.logs,
        {},
        {
          check: async ({ namespace, pod }) => {
            const { pods } = (await tools.pods.execute({ namespace, node })) as PodList;
            if (!pods.some((p) => p.name === pod)) {
              throw new AegisError(
                "tool_failed",
                `pod ${String(namespace)}/${String(pod)} is not on node ${node}: outside this incident`,
              );
            }
          },
        },
      ),
    ];
  }
  return [];
}
