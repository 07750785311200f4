import { z } from "zod";
import { pollUntil, type Clock } from "../../core/clock.ts";
import { AegisError } from "../../core/errors.ts";
import { waitSeconds } from "../schemas.ts";
import { actionTool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { mergePatch, toAegisError } from "./kubeErrors.ts";
import { podSnapshot } from "./listPods.ts";
import { otherSchedulableNodes } from "./schedulableNodes.ts";

const parameters = z.object({
  namespace: z.string().min(1).describe("Namespace of the pod."),
  pod: z.string().min(1).describe("Controller-owned pod to move off its node."),
  timeoutSeconds: waitSeconds({
    max: 300,
    default: 30,
    describe: "How long to wait for the replacement to be scheduled on another node.",
  }),
});

/**
 * `recreate_pod_elsewhere`: cordon the pod's node for a moment, delete the pod so its controller schedules the
 * replacement on another node, then uncordon (unless the node was cordoned before).
 */
export function createRecreatePodElsewhereTool(deps: { kube: KubeClients; pollMs?: number; clock?: Clock }) {
  const pollMs = deps.pollMs ?? 200;
  return actionTool({
    action: "recreate_pod_elsewhere",
    description:
      "Move one controller-owned pod to another node: cordon its node briefly, delete the pod, wait for the " +
      "replacement to be scheduled elsewhere, uncordon. For a node-local problem (noisy neighbour, bad NIC).",
    parameters,
    execute: async ({ namespace, pod, timeoutSeconds }) => {
      const ref = `pod ${namespace}/${pod}`;
      let node: string;
      let wasCordoned: boolean;
      let owner: string | null;
      try {
        const p = podSnapshot(await deps.kube.core.readNamespacedPod({ name: pod, namespace }));
        if (!p.ownerKind || !p.node) {
          throw new AegisError(
            "action_failed",
            `${ref} has no controller or no node; nothing would recreate it elsewhere`,
          );
        }
        node = p.node;
        owner = p.ownerName;
        const nodes = await deps.kube.core.listNode();
        const others = otherSchedulableNodes(nodes.items, node);
        if (others.length === 0)
          throw new AegisError("action_failed", `${ref}: no other Ready, schedulable node`);
        wasCordoned = nodes.items.find((n) => n.metadata?.name === node)?.spec?.unschedulable === true;
      } catch (err) {
        throw toAegisError(err, ref, "reading", "action_failed");
      }
      const setCordon = (on: boolean) =>
        deps.kube.core.patchNode(
          { name: node, body: { spec: { unschedulable: on ? true : null } } },
          mergePatch,
        );
      try {
        if (!wasCordoned) await setCordon(true);
        const before = new Set(
          (await deps.kube.core.listNamespacedPod({ namespace })).items.map((p) => p.metadata?.name ?? ""),
        );
        await deps.kube.core.deleteNamespacedPod({ name: pod, namespace });
        const { last } = await pollUntil(
          async () => {
            const pods = (await deps.kube.core.listNamespacedPod({ namespace })).items.map(podSnapshot);
            return {
              replacement: pods.find(
                (p) => p.ownerName === owner && !before.has(p.name) && !p.deleting && p.node !== null,
              ),
              placed: pods.filter((p) => p.ownerName === owner && p.node && p.node !== node),
            };
          },
          ({ replacement }) => replacement !== undefined,
          { timeoutMs: timeoutSeconds * 1000, intervalMs: pollMs, clock: deps.clock },
        );
        return {
          pod,
          fromNode: node,
          replacement: last.replacement?.name ?? null,
          toNode: last.replacement?.node ?? null,
          replicasElsewhere: last.placed.length,
        };
      } catch (err) {
        throw toAegisError(err, ref, "recreating", "action_failed");
      } finally {
        if (!wasCordoned) await setCordon(false).catch(() => undefined);
      }
    },
  });
}
