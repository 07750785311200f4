import { z } from "zod";
import { ACTION_IDS, FAILURE_FAMILIES, type ActionId } from "../../../core/catalog.ts";

/**
 * What the model submits through `submit_decision`. Every field is required (nullable where optional) and
 * objects are closed, so the same JSON schema works in OpenAI's strict mode and on local servers.
 * Contributions are a list, not a map: strict JSON schemas cannot describe open-ended keys.
 */
export const modelDecisionSchema = z
  .object({
    action: z.enum(ACTION_IDS).describe("One action id from the catalog, or none."),
    params: z
      .object({
        replicas: z
          .number()
          .int()
          .min(1)
          .max(100)
          .nullable()
          .describe("Replica count for scale actions; null for every other action."),
      })
      .describe("Typed parameters of the action."),
    confidence: z.number().min(0).max(1).describe("How sure you are, 0 to 1."),
    family: z.enum(FAILURE_FAMILIES).nullable().describe("Failure family, or null when unsure."),
    summary: z.string().min(1).max(600).describe("Root cause in one or two plain sentences for people."),
    rationale: z.string().min(1).max(1000).describe("Why this action, naming the evidence."),
    rejected_hypotheses: z
      .array(
        z.object({
          hypothesis: z.string().min(1).max(200).describe("An explanation you considered."),
          reason: z.string().min(1).max(300).describe("Why you ruled it out."),
        }),
      )
      .max(6)
      .describe("Explanations you ruled out."),
    contributions: z
      .array(
        z.object({
          evidence: z.string().min(1).max(60).describe("A piece of evidence, e.g. memory_growth."),
          weight: z.number().min(0).max(1).describe("Its share of the decision."),
        }),
      )
      .max(10)
      .describe("Which evidence weighed how much; weights add up to 1."),
    disposition: z
      .enum(["escalate", "dismiss"])
      .nullable()
      .describe("When action is none: escalate to a person, or dismiss; otherwise null."),
  })
  .superRefine((d, ctx) => {
    const scale = d.action === "scale_service" || d.action === "scale_deployment";
    if (scale && d.params.replicas === null) {
      ctx.addIssue({ code: "custom", path: ["params", "replicas"], message: `${d.action} needs replicas` });
    }
  });

export type ModelDecision = z.infer<typeof modelDecisionSchema>;

/** The JSON schema the model is given for `submit_decision`; `actions` narrows the action enum (the target's platform). */
export function decisionJsonSchema(actions: readonly ActionId[] = ACTION_IDS): Record<string, unknown> {
  const { $schema: _drop, ...schema } = z.toJSONSchema(modelDecisionSchema) as Record<string, unknown>;
  const props = schema.properties as Record<string, Record<string, unknown>> | undefined;
  if (props?.action) props.action = { ...props.action, enum: [...actions] };
  return schema;
}

/** The zod issues of an invalid answer as short lines the model can act on in its repair round. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 8)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
}
