import { z } from "zod";
import { describeError } from "../../../core/errors.ts";
import { sortKeys } from "../../../core/sortKeys.ts";
import type { Tool } from "../../../tools/tool.ts";
import { describeIssues } from "./decisionSchema.ts";
import { suspectedInjections } from "./injection.ts";
import { quoteData } from "./quote.ts";
import { CHARS_PER_TOKEN, fitToolResult, narrowingParams } from "./toolResult.ts";

/** What became of one tool call the model asked for; the timeline tells these apart. */
export interface ToolCallRecord {
  tool: string;
  /** `read`: it ran and answered. `failed`: it ran and failed, or its arguments were invalid.
   * `repeated`: the same call again, refused. `not_offered`: a tool the model was never given, refused. */
  outcome: "read" | "failed" | "repeated" | "not_offered";
  detail?: string;
}

/**
 * Runs the model's read-only tool calls for one incident. Every failure becomes a result the model reads,
 * never an exception; each result is cut to a token budget keeping the newest entries; a call identical to an
 * earlier one is refused (the model already has that answer); a call to a tool that was never offered is
 * refused and flagged.
 */
export class ToolRunner {
  readonly records: ToolCallRecord[] = [];
  readonly injections = new Set<string>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly tools: ReadonlyMap<string, Tool>,
    private readonly maxResultTokens: number,
    /** Tools offered at another step (submit_decision): called early, they are neither run nor flagged. */
    private readonly later: readonly string[] = [],
  ) {}

  get names(): string[] {
    return [...this.tools.keys()];
  }

  /** The tools offered, in order. */
  get list(): Tool[] {
    return [...this.tools.values()];
  }

  async run(name: string, rawArgs: string, signal: AbortSignal): Promise<string> {
    const t = this.tools.get(name);
    if (!t) {
      if (this.later.includes(name)) {
        return quoteData(name, { error: `${name} is not available yet: finish investigating first.` });
      }
      this.records.push({ tool: name, outcome: "not_offered" });
      return quoteData(name, {
        error: `unknown tool ${name}: it was not offered. Only these read-only tools exist: ${this.names.join(", ")}`,
      });
    }
    let args: unknown;
    try {
      args = JSON.parse(rawArgs || "{}");
    } catch {
      return this.fail(name, "the arguments are not valid JSON");
    }
    // Keyed on the arguments with their defaults filled in: `{}` and `{"tail": 100}` are the same read.
    const normal = t.parameters.safeParse(args);
    const key = `${name} ${JSON.stringify(sortKeys(normal.success ? normal.data : args))}`;
    if (this.seen.has(key)) {
      this.records.push({ tool: name, outcome: "repeated" });
      return quoteData(name, {
        error: `refused: you already called ${name} with exactly these arguments in this incident; its result is above. Call it with different arguments, another tool, or conclude.`,
      });
    }
    this.seen.add(key);
    try {
      const output = await t.execute(args as never, { signal });
      for (const found of suspectedInjections(output)) this.injections.add(found);
      const fitted = fitToolResult(output, this.maxResultTokens, narrowingParams(t));
      this.records.push({ tool: name, outcome: "read" });
      // Already within its token budget; the cap here only guards against escaping blowing it up.
      return quoteData(name, fitted, this.maxResultTokens * CHARS_PER_TOKEN * 2);
    } catch (err) {
      if (signal.aborted) throw err;
      const why =
        err instanceof z.ZodError ? `invalid arguments: ${describeIssues(err)}` : describeError(err);
      return this.fail(name, why);
    }
  }

  private fail(name: string, why: string): string {
    this.records.push({ tool: name, outcome: "failed", detail: why });
    return quoteData(name, { error: why });
  }
}

/** Timeline notes for the model's tool calls: what it read, what failed, what was refused or flagged. */
export function toolCallNotes(records: readonly ToolCallRecord[]): string[] {
  const notes: string[] = [];
  const read = records.filter((r) => r.outcome === "read").map((r) => r.tool);
  if (read.length > 0) notes.push(`the model read ${read.join(", ")}`);
  for (const r of records) {
    if (r.outcome === "failed") notes.push(`the model's call to ${r.tool} failed: ${r.detail ?? "error"}`);
    if (r.outcome === "repeated")
      notes.push(`the model repeated a call to ${r.tool} with the same arguments: refused`);
    if (r.outcome === "not_offered")
      notes.push(
        `flagged: the model tried to call ${r.tool}, a tool it was not offered; refused, nothing ran`,
      );
  }
  return notes;
}
