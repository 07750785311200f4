import { z } from "zod";
import { pollUntil, type Clock } from "../../core/clock.ts";
import { AegisError } from "../../core/errors.ts";
import { waitSeconds } from "../schemas.ts";
import { actionTool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { kubeStatus, mergePatch, toAegisError } from "./kubeErrors.ts";
import { podSnapshot, type PodSnapshot } from "./listPods.ts";
import { otherSchedulableNodes } from "./schedulableNodes.ts";

/** Pods a drain must move: not DaemonSet pods (they belong on every node), not finished or leaving ones. */
export function podsToDrain(pods: readonly PodSnapshot[]): PodSnapshot[] {
  return pods.filter(
    (p) => p.ownerKind !== "DaemonSet" && !p.deleting && p.phase !== "Succeeded" && p.phase !== "Failed",
  );
}

const parameters = z.object({
  node: z.string().min(1).describe("Node to cordon and drain."),
  timeoutSeconds: waitSeconds({
    max: 600,
    default: 60,
    describe: "How long to keep retrying evictions a PodDisruptionBudget refuses.",
  }),
});

/**
 * `cordon_drain_node`: mark a node unschedulable, then evict its pods through the Eviction API so every
 * PodDisruptionBudget is respected (a refused eviction is retried while replacements start elsewhere).
 */
export function createCordonDrainNodeTool(deps: { kube: KubeClients; retryMs?: number; clock?: Clock }) {
  const retryMs = deps.retryMs ?? 500;
  return actionTool({
    action: "cordon_drain_node",
    description:
      "Cordon a node and evict its pods through the Eviction API (PodDisruptionBudgets respected, DaemonSet " +
      "pods skipped). Refuses when no other Ready, schedulable node could take the pods.",
    parameters,
    execute: async ({ node, timeoutSeconds }) => {
      const ref = `node ${node}`;
      try {
        const nodes = await deps.kube.core.listNode();
        const others = otherSchedulableNodes(nodes.items, node);
        if (!nodes.items.some((n) => n.metadata?.name === node)) {
          throw new AegisError("target_not_found", `${ref} not found`);
        }
        if (others.length === 0) {
          throw new AegisError("action_failed", `${ref}: no other Ready, schedulable node to take its pods`);
        }
        await deps.kube.core.patchNode({ name: node, body: { spec: { unschedulable: true } } }, mergePatch);
      } catch (err) {
        throw toAegisError(err, ref, "cordoning", "action_failed");
      }
      const evicted: string[] = [];
      const refused = new Map<string, string>();
      let skippedDaemonSet = 0;
      // Each round evicts what is left; the drain ends when nothing is left or the time is up.
      const evictRound = async (): Promise<number> => {
        const all = (
          await deps.kube.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` })
        ).items.map(podSnapshot);
        skippedDaemonSet = all.filter((p) => p.ownerKind === "DaemonSet").length;
        const left = podsToDrain(all);
        if (left.length === 0) return 0;
        for (const p of left) {
          try {
            await deps.kube.core.createNamespacedPodEviction({
              name: p.name,
              namespace: p.namespace,
              body: {
                apiVersion: "policy/v1",
                kind: "Eviction",
                metadata: { name: p.name, namespace: p.namespace },
              },
            });
            evicted.push(`${p.namespace}/${p.name}`);
            refused.delete(`${p.namespace}/${p.name}`);
          } catch (err) {
            // 429: the budget allows no disruption now; try again once replacements are ready elsewhere.
            if (kubeStatus(err) === 429) refused.set(`${p.namespace}/${p.name}`, "disruption budget");
            else if (kubeStatus(err) !== 404)
              throw toAegisError(err, `pod ${p.namespace}/${p.name}`, "evicting", "action_failed");
          }
        }
        return left.length;
      };
      await pollUntil(evictRound, (left) => left === 0, {
        timeoutMs: timeoutSeconds * 1000,
        intervalMs: retryMs,
        clock: deps.clock,
      });
      return {
        node,
        cordoned: true,
        evicted,
        refused: [...refused.keys()],
        skippedDaemonSet,
        complete: refused.size === 0,
      };
    },
  });
}
