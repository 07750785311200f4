import { z } from "zod";
import { AegisError } from "../../core/errors.ts";
import { actionTool } from "../tool.ts";
import type { KubeClients } from "./client.ts";
import { mergePatch, toAegisError } from "./kubeErrors.ts";

const parameters = z.object({
  namespace: z.string().min(1).describe("Namespace of the consumer deployment."),
  deployment: z.string().min(1).describe("Deployment running the consumer group."),
  partitions: z
    .number()
    .int()
    .min(1)
    .describe("Partitions of the topic: the most consumers that can do work."),
  consumers: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("Consumers wanted; capped at the partition count. One per partition when absent."),
});

/** `add_kafka_consumers`: scale a consumer group's deployment up, never beyond the partition count. */
export function createAddKafkaConsumersTool(deps: { kube: KubeClients }) {
  return actionTool({
    action: "add_kafka_consumers",
    description:
      "Add consumers to a Kafka consumer group by scaling its deployment, capped at the topic's partition " +
      "count (extra consumers would sit idle). Refuses when every partition already has a consumer.",
    parameters,
    execute: async ({ namespace, deployment, partitions, consumers }) => {
      const ref = `deployment ${namespace}/${deployment}`;
      try {
        const scale = await deps.kube.apps.readNamespacedDeploymentScale({ name: deployment, namespace });
        const current = scale.spec?.replicas ?? 0;
        const wanted = Math.min(partitions, consumers ?? partitions);
        if (current >= partitions) {
          throw new AegisError(
            "action_failed",
            `${ref} already runs ${current} consumer(s) for ${partitions} partition(s); more would sit idle`,
          );
        }
        if (wanted <= current) {
          throw new AegisError(
            "action_failed",
            `${ref}: ${wanted} consumer(s) is not more than the ${current} running`,
          );
        }
        await deps.kube.apps.patchNamespacedDeploymentScale(
          { name: deployment, namespace, body: { spec: { replicas: wanted } } },
          mergePatch,
        );
        return { deployment, previousReplicas: current, replicas: wanted, partitions };
      } catch (err) {
        throw toAegisError(err, ref, "scaling", "action_failed");
      }
    },
  });
}
