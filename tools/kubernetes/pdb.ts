import { z } from "zod";
import { tool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { toAegisError } from "./kubeErrors.ts";

/** A PodDisruptionBudget and how many disruptions it allows now. */
export interface PdbSnapshot {
  name: string;
  selector: Record<string, string>;
  minAvailable: string | null;
  maxUnavailable: string | null;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
}

const parameters = z.object({ namespace: z.string().min(1).describe("Namespace.") });

/** `k8s_pdbs`: disruption budgets of a namespace (what a drain must respect). */
export function createPdbTool(deps: { kube: KubeClients }) {
  return tool({
    name: "k8s_pdbs",
    description:
      "List PodDisruptionBudgets of a namespace: selector, minAvailable/maxUnavailable and disruptions allowed now.",
    parameters,
    execute: async ({ namespace }): Promise<{ pdbs: PdbSnapshot[] }> => {
      try {
        const list = await deps.kube.policy.listNamespacedPodDisruptionBudget({ namespace });
        return {
          pdbs: list.items.map((p) => ({
            name: p.metadata?.name ?? "",
            selector: p.spec?.selector?.matchLabels ?? {},
            minAvailable: p.spec?.minAvailable === undefined ? null : String(p.spec.minAvailable),
            maxUnavailable: p.spec?.maxUnavailable === undefined ? null : String(p.spec.maxUnavailable),
            disruptionsAllowed: p.status?.disruptionsAllowed ?? 0,
            currentHealthy: p.status?.currentHealthy ?? 0,
            desiredHealthy: p.status?.desiredHealthy ?? 0,
          })),
        };
      } catch (err) {
        throw toAegisError(err, `PDBs in ${namespace}`, "listing");
      }
    },
  });
}
