import { z } from "zod";
import type { Target } from "../../../core/types.ts";
import type { FixMemory, PastFix } from "../../../runbooks/memory/fixMemory.ts";
import { tool, type Tool } from "../../../tools/tool.ts";
import { recallToolResult } from "../recallToolResult.ts";

const RECALL_LIMIT = 5;

const parameters = z.object({
  query: z
    .string()
    .max(500)
    .optional()
    .describe(
      "What to look for in the runbooks and past incidents, in your own words; omit it for what the " +
        "incident's own evidence recalled.",
    ),
});

/**
 * `recall_runbook_memory`: runbooks and verified past fixes similar to this incident. Read-only: it never
 * writes to the memory. Without a query (or without a memory) it returns what the recall step found.
 */
export function createRecallTool(deps: {
  recalled: readonly PastFix[];
  target: Target;
  memory?: Pick<FixMemory, "recall"> | undefined;
}): Tool {
  return tool({
    name: "recall_runbook_memory",
    description:
      "Recall human-written runbooks and past incidents similar to this one, with the action each " +
      "recommends and how often that action was verified or failed.",
    parameters,
    execute: async ({ query }) => {
      if (!query || !deps.memory) return JSON.parse(recallToolResult(deps.recalled)) as unknown;
      const { hits, fixes } = await deps.memory.recall(
        { text: query, targetKind: deps.target.kind },
        RECALL_LIMIT,
      );
      return {
        ...(JSON.parse(recallToolResult(fixes)) as object),
        runbooks: hits.map((h) => ({ key: h.key, kind: h.kind, title: h.title, score: h.score })),
      };
    },
  });
}
