import type { z } from "zod";
import { ACTION_RISK, type ActionId, type RiskTier } from "../core/catalog.ts";

/**
 * A typed tool: a zod input schema (every field `.describe()`d) and an execute function.
 * Read-only tools have no risk tier; a mutating tool carries its action's tier from the catalog
 * (`core/catalog.ts`), and the guard (not the tool) decides whether it may run.
 */
export interface Tool<S extends z.ZodType = z.ZodType, O = unknown> {
  readonly name: string;
  readonly description: string;
  readonly parameters: S;
  readonly risk: RiskTier | null;
  execute(input: z.input<S>, options?: { signal?: AbortSignal }): Promise<O>;
}

interface ToolSpec<S extends z.ZodType, O> {
  name: string;
  description: string;
  parameters: S;
  execute: (input: z.output<S>, options: { signal?: AbortSignal }) => Promise<O>;
}

/** Define a read-only tool; its input is validated against `parameters` before `execute` runs. */
export function tool<S extends z.ZodType, O>(spec: ToolSpec<S, O>): Tool<S, O> {
  return defineTool(spec, null);
}

/**
 * Define the tool that carries out a catalog action: its risk tier is the catalog's, and its name the
 * action's id unless it is one of several ways to carry the action out (`name`).
 */
export function actionTool<S extends z.ZodType, O>(
  spec: Omit<ToolSpec<S, O>, "name"> & { action: Exclude<ActionId, "none">; name?: string },
): Tool<S, O> {
  const { action, name, ...rest } = spec;
  return defineTool({ ...rest, name: name ?? action }, ACTION_RISK[action]);
}

function defineTool<S extends z.ZodType, O>(spec: ToolSpec<S, O>, risk: RiskTier | null): Tool<S, O> {
  return {
    name: spec.name,
    description: spec.description,
    parameters: spec.parameters,
    risk,
    async execute(input, options = {}) {
      const parsed = spec.parameters.parse(input) as z.output<S>;
      return spec.execute(parsed, options);
    },
  };
}
