import { z } from "zod";
import { tool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { toAegisError } from "./kubeErrors.ts";

/** An HPA's bounds and where it stands. */
export interface HpaSnapshot {
  name: string;
  target: string;
  minReplicas: number;
  maxReplicas: number;
  currentReplicas: number;
  desiredReplicas: number;
  atMax: boolean;
}

const parameters = z.object({
  namespace: z.string().min(1).describe("Namespace."),
  target: z.string().optional().describe("Only the HPA scaling this deployment."),
});

/** `k8s_hpas`: horizontal pod autoscalers with min/max/current/desired replicas. */
export function createHpaTool(deps: { kube: KubeClients }) {
  return tool({
    name: "k8s_hpas",
    description:
      "List HPAs of a namespace with min, max, current and desired replicas and whether each is at its max.",
    parameters,
    execute: async ({ namespace, target }): Promise<{ hpas: HpaSnapshot[] }> => {
      try {
        const list = await deps.kube.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace });
        const hpas = list.items.map((h) => {
          const max = h.spec?.maxReplicas ?? 0;
          const current = h.status?.currentReplicas ?? 0;
          return {
            name: h.metadata?.name ?? "",
            target: h.spec?.scaleTargetRef.name ?? "",
            minReplicas: h.spec?.minReplicas ?? 1,
            maxReplicas: max,
            currentReplicas: current,
            desiredReplicas: h.status?.desiredReplicas ?? 0,
            atMax: current >= max,
          };
        });
        return { hpas: target ? hpas.filter((h) => h.target === target) : hpas };
      } catch (err) {
        throw toAegisError(err, `HPAs in ${namespace}`, "listing");
      }
    },
  });
}
