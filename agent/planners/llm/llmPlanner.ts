import OpenAI from "openai";
import type {
  ChatCompletionMessage,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import { z } from "zod";
import { ACTION_IDS, ACTION_RISK, isActionId } from "../../../core/catalog.ts";
import { describeError } from "../../../core/errors.ts";
import { redactText } from "../../../core/redact.ts";
import type { Decision, DecisionUsage, Target } from "../../../core/types.ts";
import type { FixMemory } from "../../../runbooks/memory/fixMemory.ts";
import type { Tool } from "../../../tools/tool.ts";
import { appliesTo } from "../applicability.ts";
import { describeTarget } from "../heuristic.ts";
import type { Planner, PlannerInput } from "../planner.ts";
import {
  decisionJsonSchema,
  describeIssues,
  modelDecisionSchema,
  type ModelDecision,
} from "./decisionSchema.ts";
import { estimateCostUsd } from "./pricing.ts";
import { renderPrompt, type PromptSet } from "./prompts.ts";
import { suspectedInjections } from "./injection.ts";
import { quoteData } from "./quote.ts";
import { createRecallTool } from "./recallTool.ts";

/** Bounds of one incident's model use; every one is configurable. */
export interface LlmLimits {
  /** Rounds of read-only tool calls before the model must decide. */
  maxSteps: number;
  /** `max_tokens` of each completion. */
  maxTokensPerCall: number;
  /** Tokens in + out per incident; no further request is sent once they are spent. */
  tokenBudget: number;
  /** Wall-clock limit of the whole investigation and decision. */
  timeoutMs: number;
}

export const DEFAULT_LLM_LIMITS: Readonly<LlmLimits> = Object.freeze({
  maxSteps: 4,
  maxTokensPerCall: 1024,
  tokenBudget: 30_000,
  timeoutMs: 60_000,
});

/** What the LLM planner is built from, once at start-up. */
export interface LlmPlannerOptions {
  /** The OpenAI (or OpenAI-compatible) client; its retries on 429/5xx are the client's `maxRetries`. */
  client: OpenAI;
  model: string;
  prompts: PromptSet;
  /** Decides when the model cannot: timeout, API errors after retries, invalid answers, spent budget. */
  fallback: Planner;
  /** Read-only tools about a target (see `Platform.readOnlyTools`). Tools with a risk tier are dropped. */
  readOnlyTools?: (target: Target) => Tool[];
  /** Lets the model query the runbook memory with its own words. */
  memory?: Pick<FixMemory, "recall">;
  limits?: Partial<LlmLimits>;
}

/** Why the model's run could not produce a decision; the planner falls back and says so. */
export class LlmPlannerError extends Error {
  readonly code: "llm_invalid_answer" | "llm_budget_exhausted" | "llm_unavailable";
  constructor(code: LlmPlannerError["code"], message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

const SUBMIT = "submit_decision";

interface Run {
  signal: AbortSignal;
  deadline: AbortSignal;
  calls: number;
  tokensIn: number;
  tokensOut: number;
  toolsCalled: string[];
  /** Instruction-like text found in the data the model read. */
  injections: Set<string>;
}

/**
 * The `llm` planner: a bounded tool-calling investigation over read-only tools, then one structured
 * Decision through a forced `submit_decision` call, validated with zod. An invalid answer gets one repair
 * round; anything the model cannot deliver ends in the fallback planner's decision, with a note saying why.
 */
export class LlmPlanner implements Planner {
  readonly name = "llm" as const;
  private readonly limits: LlmLimits;

  constructor(private readonly opts: LlmPlannerOptions) {
    this.limits = { ...DEFAULT_LLM_LIMITS, ...opts.limits };
  }

  async decide(input: PlannerInput): Promise<Decision> {
    const deadline = AbortSignal.timeout(this.limits.timeoutMs);
    const run: Run = {
      signal: deadline,
      deadline,
      calls: 0,
      tokensIn: 0,
      tokensOut: 0,
      toolsCalled: [],
      injections: new Set(suspectedInjections([input.incident.alerts, input.evidence])),
    };
    try {
      return await this.investigateAndDecide(input, run);
    } catch (err) {
      const reason = this.failureReason(err, run);
      if (reason === undefined) throw err;
      const decision = await this.opts.fallback.decide(input);
      const note = `llm planner (${this.opts.model}, prompts ${this.opts.prompts.version}) fell back to the ${decision.planner} planner: ${reason}`;
      return {
        ...decision,
        ...(run.calls > 0 ? { usage: this.usage(run) } : {}),
        notes: [...(decision.notes ?? []), ...this.investigationNotes(run), note],
      };
    }
  }

  private async investigateAndDecide(input: PlannerInput, run: Run): Promise<Decision> {
    const { prompts } = this.opts;
    const target = input.target;
    const tools = this.toolsFor(input);
    const applicable = ACTION_IDS.filter((a) => a === "none" || appliesTo(a, target));
    const common = {
      target: JSON.stringify(describeTarget(target)),
      applicableActions: applicable.join(", "),
    };
    const messages: ChatCompletionMessageParam[] = [
      {
        role: "system",
        content: renderPrompt(prompts.templates.system, {
          catalog: ACTION_IDS.map((a) => `${a}: ${ACTION_RISK[a]}`).join(", "),
        }),
      },
      {
        role: "user",
        content: renderPrompt(prompts.templates.investigate, {
          ...common,
          incidentId: input.incident.id,
          targetKind: target.kind,
          maxSteps: this.limits.maxSteps,
          alerts: quoteData(
            "alerts",
            input.incident.alerts.map((a) => ({
              status: a.status,
              labels: a.labels,
              annotations: a.annotations,
              startsAt: a.startsAt,
            })),
          ),
          evidence: quoteData("evidence", input.evidence),
          recalled: quoteData("runbook_memory", input.recalled),
        }),
      },
    ];

    // Investigation: the model reads through the tools until it has a diagnosis or the steps are spent.
    const toolDefs = [...tools.values()].map(toOpenAiTool);
    for (let step = 0; step < this.limits.maxSteps && toolDefs.length > 0; step++) {
      const reply = await this.chat(run, messages, { tools: toolDefs });
      const calls = functionCalls(reply);
      if (calls.length === 0) break;
      for (const call of calls) {
        run.toolsCalled.push(call.function.name);
        messages.push({
          role: "tool",
          tool_call_id: call.id,
          content: await runTool(tools, call, run),
        });
      }
    }

    // Decision: one forced submit_decision call, validated; one repair round for an invalid answer.
    messages.push({ role: "user", content: renderPrompt(prompts.templates.decide, common) });
    const submitTool: ChatCompletionTool = {
      type: "function",
      function: {
        name: SUBMIT,
        description: "Submit your one decision for this incident.",
        parameters: decisionJsonSchema(),
      },
    };
    let problem = "";
    for (let attempt = 0; attempt < 2; attempt++) {
      const reply = await this.chat(run, messages, {
        tools: [submitTool],
        // "required" with one tool offered forces submit_decision; more local servers (vLLM, llama.cpp)
        // accept it than the named-function form.
        tool_choice: "required",
      });
      const calls = functionCalls(reply);
      const submitted = calls.find((c) => c.function.name === SUBMIT);
      const parsed = parseAnswer(submitted ? submitted.function.arguments : (reply.content ?? ""));
      if (parsed.ok) return this.toDecision(parsed.value, target, run);
      problem = parsed.problem;
      const fix = `Invalid decision: ${problem}. Call ${SUBMIT} again with a corrected decision.`;
      for (const call of calls) {
        messages.push({
          role: "tool",
          tool_call_id: call.id,
          content: call === submitted ? fix : `${call.function.name} is not available now.`,
        });
      }
      if (!submitted) messages.push({ role: "user", content: fix });
    }
    throw new LlmPlannerError(
      "llm_invalid_answer",
      `the model's decision was invalid after one repair round (${problem})`,
    );
  }

  /** One chat completion within the incident's token budget and deadline; the reply joins `messages`. */
  private async chat(
    run: Run,
    messages: ChatCompletionMessageParam[],
    extra: Pick<OpenAI.ChatCompletionCreateParamsNonStreaming, "tools" | "tool_choice">,
  ): Promise<ChatCompletionMessage> {
    const used = run.tokensIn + run.tokensOut;
    if (used >= this.limits.tokenBudget) {
      throw new LlmPlannerError(
        "llm_budget_exhausted",
        `token budget exhausted: ${used} of ${this.limits.tokenBudget} tokens spent in ${run.calls} call(s)`,
      );
    }
    let res: OpenAI.ChatCompletion;
    try {
      res = await this.opts.client.chat.completions.create(
        { model: this.opts.model, messages, max_tokens: this.limits.maxTokensPerCall, ...extra },
        { signal: run.signal },
      );
    } catch (err) {
      if (err instanceof OpenAI.OpenAIError) throw err;
      // A server that answers 200 with a body that is not a chat completion (seen with proxies).
      throw new LlmPlannerError(
        "llm_unavailable",
        `the model API answered unreadably: ${describeError(err)}`,
      );
    }
    run.calls++;
    const reply = res.choices[0]?.message;
    // A server that reports no usage is charged by size (about four characters a token).
    run.tokensIn += res.usage?.prompt_tokens ?? Math.ceil(JSON.stringify(messages).length / 4);
    run.tokensOut += res.usage?.completion_tokens ?? Math.ceil(JSON.stringify(reply ?? "").length / 4);
    if (!reply) throw new LlmPlannerError("llm_invalid_answer", "the model returned no choices");
    const calls = functionCalls(reply);
    messages.push({
      role: "assistant",
      content: reply.content ?? null,
      ...(calls.length > 0 ? { tool_calls: calls } : {}),
    });
    return reply;
  }

  private toolsFor(input: PlannerInput): Map<string, Tool> {
    const offered = [
      ...(this.opts.readOnlyTools?.(input.target) ?? []),
      createRecallTool({ recalled: input.recalled, target: input.target, memory: this.opts.memory }),
    ];
    // Defence in depth: whatever a platform hands over, a tool with a risk tier is never offered.
    return new Map(offered.filter((t) => t.risk === null).map((t) => [t.name, t]));
  }

  private toDecision(d: ModelDecision, target: Target, run: Run): Decision {
    const scale = d.action === "scale_service" || d.action === "scale_deployment";
    return {
      action: d.action,
      // The target is the incident's, never one the model names.
      target: describeTarget(target),
      params: scale && d.params.replicas !== null ? { replicas: d.params.replicas } : {},
      confidence: round(d.confidence),
      rationale: d.rationale,
      ...(d.family ? { family: d.family } : {}),
      contributions: normalise(d.contributions),
      planner: "llm",
      model: this.opts.model,
      promptVersion: this.opts.prompts.version,
      ...(d.action === "none" ? { disposition: d.disposition ?? "escalate" } : {}),
      summary: d.summary,
      rejectedHypotheses: d.rejected_hypotheses.map((h) => ({ hypothesis: h.hypothesis, reason: h.reason })),
      usage: this.usage(run),
      notes: this.investigationNotes(run),
    };
  }

  private usage(run: Run): DecisionUsage {
    return {
      model: this.opts.model,
      promptVersion: this.opts.prompts.version,
      calls: run.calls,
      tokensIn: run.tokensIn,
      tokensOut: run.tokensOut,
      costUsd: estimateCostUsd(this.opts.model, run.tokensIn, run.tokensOut),
    };
  }

  private investigationNotes(run: Run): string[] {
    const notes = run.toolsCalled.length > 0 ? [`the model read ${run.toolsCalled.join(", ")}`] : [];
    for (const text of run.injections) {
      notes.push(
        `possible prompt injection in the data, passed to the model as quoted data only: "${redactText(text)}"`,
      );
    }
    return notes;
  }

  /** A plain reason for falling back, or undefined for an error that is not the model's (a bug: rethrown). */
  private failureReason(err: unknown, run: Run): string | undefined {
    if (run.deadline.aborted) return `timed out after ${this.limits.timeoutMs} ms`;
    if (err instanceof LlmPlannerError) return err.message;
    if (err instanceof OpenAI.APIError && err.status !== undefined) {
      return `the model API answered HTTP ${err.status} (after retries): ${describeError(err)}`;
    }
    if (err instanceof OpenAI.OpenAIError) return `the model API failed: ${describeError(err)}`;
    return undefined;
  }
}

function functionCalls(message: ChatCompletionMessage): ChatCompletionMessageFunctionToolCall[] {
  return (message.tool_calls ?? []).filter(
    (c): c is ChatCompletionMessageFunctionToolCall => c.type === "function",
  );
}

function toOpenAiTool(t: Tool): ChatCompletionTool {
  const { $schema: _drop, ...parameters } = z.toJSONSchema(t.parameters, {
    io: "input",
    unrepresentable: "any",
  }) as Record<string, unknown>;
  return { type: "function", function: { name: t.name, description: t.description, parameters } };
}

/** Run one tool call; every failure becomes a result the model reads, never an exception. */
async function runTool(
  tools: Map<string, Tool>,
  call: ChatCompletionMessageFunctionToolCall,
  run: Pick<Run, "signal" | "injections">,
): Promise<string> {
  const { signal } = run;
  const name = call.function.name;
  const t = tools.get(name);
  if (!t) {
    return quoteData(name, {
      error: `unknown tool ${name}: only these read-only tools exist: ${[...tools.keys()].join(", ")}`,
    });
  }
  let args: unknown;
  try {
    args = JSON.parse(call.function.arguments || "{}");
  } catch {
    return quoteData(name, { error: "the arguments are not valid JSON" });
  }
  try {
    const output = await t.execute(args as never, { signal });
    for (const found of suspectedInjections(output)) run.injections.add(found);
    return quoteData(name, output);
  } catch (err) {
    if (signal.aborted) throw err;
    const why = err instanceof z.ZodError ? `invalid arguments: ${describeIssues(err)}` : describeError(err);
    return quoteData(name, { error: why });
  }
}

type Parsed = { ok: true; value: ModelDecision } | { ok: false; problem: string };

/** Parse the model's answer: tool-call arguments, or JSON in plain content (some local servers). */
function parseAnswer(raw: string): Parsed {
  const text = raw
    .trim()
    .replace(/^```(?:json)?\s*/i, "")
    .replace(/```$/, "");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: "the answer is not valid JSON" };
  }
  const action = (json as { action?: unknown } | null)?.action;
  if (typeof action === "string" && !isActionId(action)) {
    return { ok: false, problem: `action "${action.slice(0, 60)}" is not in the catalog` };
  }
  const result = modelDecisionSchema.safeParse(json);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, problem: describeIssues(result.error) };
}

function normalise(parts: ModelDecision["contributions"]): Record<string, number> {
  const merged = new Map<string, number>();
  for (const p of parts) if (p.weight > 0) merged.set(p.evidence, (merged.get(p.evidence) ?? 0) + p.weight);
  const total = [...merged.values()].reduce((s, v) => s + v, 0);
  return Object.fromEntries([...merged].map(([k, v]) => [k, round(v / total)]));
}

const round = (n: number) => Math.round(n * 100) / 100;
