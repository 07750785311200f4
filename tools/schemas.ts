import { z } from "zod";

/** A bounded wait in whole seconds, with its default and what is waited for (shown to the model). */
export function waitSeconds(opts: { min?: number; max: number; default: number; describe: string }) {
  return z
    .number()
    .int()
    .min(opts.min ?? 1)
    .max(opts.max)
    .default(opts.default)
    .describe(opts.describe);
}
