import { z } from "zod";
import { AegisError } from "../../core/errors.ts";
import type { Tool } from "../../tools/tool.ts";

/**
 * A read-only tool with some arguments fixed to the incident's object (its container, namespace, workload,
 * node): they disappear from the schema the model sees, and a call that names another value anyway is
 * refused with an error that says what the tool is bound to. `check` refuses the rest of what lies outside
 * the incident (a node that runs none of its pods).
 */
export function bindTool(
  base: Tool,
  fixed: Record<string, string>,
  opts: { check?: (input: Record<string, unknown>) => Promise<void> } = {},
): Tool {
  if (base.risk !== null) throw new AegisError("internal", `${base.name} is not read-only`);
  if (!(base.parameters instanceof z.ZodObject)) {
    throw new AegisError("internal", `${base.name} has no object schema to bind`);
  }
  const keys = Object.keys(fixed);
  const mask = Object.fromEntries(keys.map((k) => [k, true as const]));
  const bound = Object.entries(fixed)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const parameters = (base.parameters as z.ZodObject).omit(mask as never);
  return {
    name: base.name,
    description: `${base.description} ${keys.length > 0 ? `Bound to this incident's ${bound}.` : "Limited to this incident's objects."}`,
    parameters,
    risk: null,
    async execute(input, options) {
      // The raw input, before the schema strips unknown keys: a model naming another namespace is told so.
      const given = (input ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(fixed)) {
        if (given[k] !== undefined && given[k] !== v) {
          throw new AegisError(
            "tool_failed",
            `${base.name} is bound to this incident's ${bound}: ${k} ${JSON.stringify(given[k])} is outside it`,
          );
        }
      }
      const args = { ...(parameters.parse(given) as Record<string, unknown>), ...fixed };
      await opts.check?.(args);
      return base.execute(args as never, options);
    },
  };
}
