import { z } from "zod";
import { ACTION_IDS, RISK_TIERS } from "../../core/catalog.ts";

const mode = z.enum(["advise", "approve", "auto"]);
const actionId = z.enum(ACTION_IDS as [string, ...string[]]);

/** Where a service label (or a non-workload alert) points when no workload label is present. */
const serviceTarget = z
  .object({
    container: z.string().optional().describe("Docker container name"),
    composeService: z.string().optional().describe("Docker compose service"),
    namespace: z.string().optional().describe("Kubernetes namespace"),
    deployment: z.string().optional().describe("Kubernetes deployment"),
    statefulset: z.string().optional().describe("Kubernetes statefulset"),
    cluster: z.string().optional().describe("cluster name from `clusters`"),
  })
  .strict();

const serviceSettings = z
  .object({
    healthUrl: z.string().url().optional().describe("URL that answers 2xx when the service is healthy"),
    target: serviceTarget.optional().describe("the workload this service name maps to"),
    mode: mode.optional().describe("overrides the mode for this service"),
    protected: z.boolean().optional().describe("never act on this service"),
  })
  .strict();

/** The policy file (YAML). Every field has a default, so an empty file is a valid policy. */
export const policySchema = z
  .object({
    mode: mode.optional().describe("default mode; AEGIS_MODE when absent"),
    modes: z
      .object({
        byTier: z.partialRecord(z.enum(RISK_TIERS), mode).default({ high: "approve" }),
        byNamespace: z.record(z.string(), mode).default({}),
      })
      .strict()
      .prefault({}),
    protectedNamespaces: z.array(z.string()).default(["kube-system"]),
    protectedContainers: z.array(z.string()).default([]).describe("container names never acted on"),
    allowlist: z.array(actionId).default([...ACTION_IDS]),
    caps: z
      .object({
        actionsPerTargetPerHour: z.number().int().min(0).default(3),
        concurrentRemediations: z.number().int().min(1).default(4),
      })
      .strict()
      .prefault({}),
    verification: z
      .object({
        timeoutSeconds: z.number().positive().optional(),
        retries: z
          .number()
          .int()
          .min(0)
          .max(3)
          .default(1)
          .describe("retries of the action after a failed verification"),
        backoffSeconds: z.number().min(0).default(2),
      })
      .strict()
      .prefault({}),
    services: z.record(z.string(), serviceSettings).default({}),
  })
  .strict();

export type Policy = z.infer<typeof policySchema>;
export type PolicyMode = z.infer<typeof mode>;
