import type { z } from "zod";
import type { RiskTier } from "../core/catalog.ts";

/**
 * A typed tool: a zod input schema (every field `.describe()`d) and an execute function.
 * Read-only tools have no risk tier; mutating tools declare one, and the guard (not the tool) decides
 * whether they may run.
 */
export interface Tool<S extends z.ZodType = z.ZodType, O = unknown> {
  readonly name: string;
  readonly description: string;
  readonly parameters: S;
  readonly risk: RiskTier | null;
  execute(input: z.input<S>, options?: { signal?: AbortSignal }): Promise<O>;
}

/** Define a tool; its input is validated against `parameters` before `execute` runs. */
export function tool<S extends z.ZodType, O>(spec: {
  name: string;
  description: string;
  parameters: S;
  risk?: RiskTier;
  execute: (input: z.output<S>, options: { signal?: AbortSignal }) => Promise<O>;
}): Tool<S, O> {
  return {
    name: spec.name,
    description: spec.description,
    parameters: spec.parameters,
    risk: spec.risk ?? null,
    async execute(input, options = {}) {
      const parsed = spec.parameters.parse(input) as z.output<S>;
      return spec.execute(parsed, options);
    },
  };
}
