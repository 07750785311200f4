import type { V1Node } from "@kubernetes/client-node";

/** The nodes other than `node` that could take its pods: Ready and not cordoned. */
export function otherSchedulableNodes(nodes: readonly V1Node[], node: string): V1Node[] {
  return nodes.filter(
    (n) =>
      n.metadata?.name !== node &&
      !n.spec?.unschedulable &&
      n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
  );
}
