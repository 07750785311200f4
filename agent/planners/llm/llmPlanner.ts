import OpenAI from "openai";
import type {
  ChatCompletionMessage,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import { z } from "zod";
import { ACTION_IDS, ACTION_RISK, type ActionId } from "../../../core/catalog.ts";
import { AegisError, describeError, type LlmErrorCode } from "../../../core/errors.ts";
import { redactText } from "../../../core/redact.ts";
import type { Decision, DecisionUsage, Target } from "../../../core/types.ts";
import type { FixMemory } from "../../../runbooks/memory/fixMemory.ts";
import type { Tool } from "../../../tools/tool.ts";
import { appliesTo } from "../applicability.ts";
import { describeTarget } from "../heuristic.ts";
import type { Planner, PlannerInput } from "../planner.ts";
import { parseAnswer, textToolCalls, type Parsed } from "./answer.ts";
import { decisionJsonSchema, type ModelDecision } from "./decisionSchema.ts";
import { estimateCostUsd } from "./pricing.ts";
import { renderPrompt, type PromptSet } from "./prompts.ts";
import { suspectedInjections } from "./injection.ts";
import { quoteData } from "./quote.ts";
import { createRecallTool } from "./recallTool.ts";
import { readCompletion, toolsRefusal } from "./serverReplies.ts";
import { CHARS_PER_TOKEN, fitToolResult } from "./toolResult.ts";
import { toolCallNotes, ToolRunner } from "./toolRunner.ts";

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
  /** Tokens (estimated, four characters each) of one tool result; longer ones keep their newest entries. */
  maxToolResultTokens: number;
}

export const DEFAULT_LLM_LIMITS: Readonly<LlmLimits> = Object.freeze({
  maxSteps: 4,
  maxTokensPerCall: 1024,
  tokenBudget: 30_000,
  timeoutMs: 60_000,
  maxToolResultTokens: 2_000,
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
export class LlmPlannerError extends AegisError {
  declare readonly code: LlmErrorCode;
  constructor(code: LlmErrorCode, message: string) {
    super(code, message);
  }
}

const SUBMIT = "submit_decision";
/** Tokens (estimated) of the investigation's evidence quoted in the first message. */
const EVIDENCE_TOKENS = 3_000;

interface Run {
  signal: AbortSignal;
  deadline: AbortSignal;
  calls: number;
  tokensIn: number;
  tokensOut: number;
  tools: ToolRunner;
  /** Instruction-like text found in the alerts and evidence (tool output adds to `tools.injections`). */
  injections: Set<string>;
  /** Why the server would not take tools, once it refused them: the rest of the run is plain JSON. */
  toolsRefused?: string;
}

/**
 * The `llm` planner: a bounded tool-calling investigation over read-only tools, then one structured
 * Decision through a forced `submit_decision` call, validated with zod. Answers are read leniently (JSON in
 * prose, in a fence, in a `<tool_call>` text block); an invalid answer gets one repair round. A server that
 * refuses tools or tool_choice gets the question again once in plain-JSON mode (no tools). Anything the model
 * cannot deliver ends in the fallback planner's decision, with a note saying why.
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
      tools: new ToolRunner(this.toolsFor(input), this.limits.maxToolResultTokens, [SUBMIT]),
      injections: new Set(suspectedInjections([input.incident.alerts, input.evidence])),
    };
    try {
      return await this.investigateAndDecide(input, run);
    } catch (err) {
      const failure = this.failure(err, run);
      if (failure === undefined) throw err;
      const decision = await this.opts.fallback.decide(input);
      const note = `llm planner (${this.opts.model}, prompts ${this.opts.prompts.version}) fell back to the ${decision.planner} planner: ${failure.reason}`;
      return {
        ...decision,
        ...(run.calls > 0 ? { usage: this.usage(run) } : {}),
        notes: [...(decision.notes ?? []), ...this.investigationNotes(run), note],
        fallback: failure,
      };
    }
  }

  private async investigateAndDecide(input: PlannerInput, run: Run): Promise<Decision> {
    const { prompts } = this.opts;
    const target = input.target;
    const applicable = applicableActions(target);
    const common = {
      target: JSON.stringify(describeTarget(target)),
      applicableActions: applicable.join(", "),
    };
    const messages: ChatCompletionMessageParam[] = [
      {
        role: "system",
        content: renderPrompt(prompts.templates.system, {
          // Only the actions of the target's platform: a Kubernetes action is no answer for a container.
          catalog: applicable.map((a) => `${a}: ${ACTION_RISK[a]}`).join(", "),
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
          // Cut like a tool result: the newest log lines and events are what an incident shows.
          evidence: quoteData(
            "evidence",
            fitToolResult(input.evidence, EVIDENCE_TOKENS, {
              how: "read them with the read-only tools, narrowing the query",
            }),
            EVIDENCE_TOKENS * CHARS_PER_TOKEN * 2,
          ),
          recalled: quoteData("runbook_memory", input.recalled),
        }),
      },
    ];

    // Investigation: the model reads through the tools until it has a diagnosis or the steps are spent.
    const toolDefs = run.tools.list.map(toOpenAiTool);
    for (let step = 0; step < this.limits.maxSteps && toolDefs.length > 0; step++) {
      const reply = await this.chatWithTools(run, messages, { tools: toolDefs });
      if (!reply) break;
      const calls = functionCalls(reply);
      if (calls.length === 0) {
        // A server that passed the tools in the prompt but does not parse calls: the model wrote them as text.
        const written = textToolCalls(reply.content).filter((c) => c.name !== SUBMIT);
        if (written.length === 0) break;
        const results: string[] = [];
        for (const c of written) results.push(await run.tools.run(c.name, c.arguments, run.signal));
        messages.push({ role: "user", content: `Results of your tool calls:\n${results.join("\n")}` });
        continue;
      }
      for (const call of calls) {
        messages.push({
          role: "tool",
          tool_call_id: call.id,
          content: await run.tools.run(call.function.name, call.function.arguments, run.signal),
        });
      }
    }

    // Decision: one forced submit_decision call, validated; one repair round for an invalid answer.
    let problem = "";
    if (!run.toolsRefused) {
      messages.push({ role: "user", content: renderPrompt(prompts.templates.decide, common) });
      const submitTool: ChatCompletionTool = {
        type: "function",
        function: {
          name: SUBMIT,
          description: "Submit your one decision for this incident.",
          parameters: decisionJsonSchema(applicable),
        },
      };
      for (let attempt = 0; attempt < 2; attempt++) {
        const reply = await this.chatWithTools(run, messages, {
          tools: [submitTool],
          // "required" with one tool offered forces submit_decision; more local servers (vLLM, llama.cpp)
          // accept it than the named-function form.
          tool_choice: "required",
        });
        if (!reply) break;
        const calls = functionCalls(reply);
        const submitted = calls.find((c) => c.function.name === SUBMIT);
        const parsed = parseAnswer(
          submitted ? { arguments: submitted.function.arguments } : { content: reply.content },
          applicable,
        );
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
      if (!run.toolsRefused) {
        throw new LlmPlannerError(
          "llm_invalid_answer",
          `the model's decision was invalid after one repair round (${problem})`,
        );
      }
    }

    // Plain-JSON mode, for a server that refused tools: the decision as the whole content of the reply.
    messages.push({
      role: "user",
      content: renderPrompt(prompts.templates.decide_json, {
        ...common,
        schema: JSON.stringify(decisionJsonSchema(applicable)),
      }),
    });
    for (let attempt = 0; attempt < 2; attempt++) {
      const reply = await this.chat(run, messages, {});
      const parsed: Parsed = parseAnswer({ content: reply.content }, applicable);
      if (parsed.ok) return this.toDecision(parsed.value, target, run);
      problem = parsed.problem;
      messages.push({
        role: "user",
        content: `Invalid decision: ${problem}. Answer again with one corrected JSON object and nothing else.`,
      });
    }
    throw new LlmPlannerError(
      "llm_invalid_answer",
      `the model's plain-JSON decision was invalid after one repair round (${problem})`,
    );
  }

  /**
   * A request that offers tools. A server that refuses them (or tool_choice) answers null once: the run goes
   * on in plain-JSON mode and remembers why.
   */
  private async chatWithTools(
    run: Run,
    messages: ChatCompletionMessageParam[],
    extra: Pick<OpenAI.ChatCompletionCreateParamsNonStreaming, "tools" | "tool_choice">,
  ): Promise<ChatCompletionMessage | null> {
    try {
      return await this.chat(run, messages, extra);
    } catch (err) {
      const refused = run.deadline.aborted ? undefined : toolsRefusal(err);
      if (refused === undefined || run.toolsRefused !== undefined) throw err;
      run.toolsRefused = refused;
      return null;
    }
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
    let data: unknown;
    let contentType: string | null = null;
    try {
      const { data: body, response } = await this.opts.client.chat.completions
        .create(
          { model: this.opts.model, messages, max_tokens: this.limits.maxTokensPerCall, ...extra },
          { signal: run.signal },
        )
        .withResponse();
      data = body;
      contentType = response.headers.get("content-type");
    } catch (err) {
      if (err instanceof OpenAI.OpenAIError) throw err;
      // A 200 whose body says it is JSON but does not parse (a proxy, a half-written reply).
      throw new LlmPlannerError(
        "llm_unavailable",
        `the model API answered HTTP 200 with a body that is not JSON: ${describeError(err)}`,
      );
    }
    const read = readCompletion(data, contentType);
    if (!read.ok) throw new LlmPlannerError("llm_unavailable", read.problem);
    run.calls++;
    const { completion: res, message: reply } = read;
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
    const notes = toolCallNotes(run.tools.records);
    if (run.toolsRefused) {
      notes.push(
        `the model server refused tool calling (${run.toolsRefused}): the decision was asked for in plain-JSON mode, without tools`,
      );
    }
    for (const text of new Set([...run.injections, ...run.tools.injections])) {
      notes.push(
        `possible prompt injection in the data, passed to the model as quoted data only: "${redactText(text)}"`,
      );
    }
    return notes;
  }

  /**
   * Why the run fell back, as a code to count by and a plain reason; undefined for an error that is not the
   * model's (a bug: rethrown).
   */
  private failure(err: unknown, run: Run): { code: string; reason: string } | undefined {
    const refused = run.toolsRefused ? `the server refused tool calling (${run.toolsRefused}), then ` : "";
    const at = (code: string, reason: string) => ({ code, reason: `${refused}${reason}` });
    if (run.deadline.aborted) return at("llm_timeout", `timed out after ${this.limits.timeoutMs} ms`);
    if (err instanceof LlmPlannerError) return at(err.code, err.message);
    if (err instanceof OpenAI.APIError && err.status !== undefined) {
      const offScript = (err.error as { type?: unknown } | undefined)?.type === "cassette_miss";
      return at(
        offScript ? "llm_off_script" : `llm_http_${err.status}`,
        `the model API answered HTTP ${err.status} (after retries): ${describeError(err)}`,
      );
    }
    if (err instanceof OpenAI.OpenAIError)
      return at("llm_unavailable", `the model API failed: ${describeError(err)}`);
    return undefined;
  }
}

/** The catalog actions that apply to the target's platform, and `none`. */
function applicableActions(target: Target): ActionId[] {
  return ACTION_IDS.filter((a) => a === "none" || appliesTo(a, target));
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

function normalise(parts: ModelDecision["contributions"]): Record<string, number> {
  const merged = new Map<string, number>();
  for (const p of parts) if (p.weight > 0) merged.set(p.evidence, (merged.get(p.evidence) ?? 0) + p.weight);
  const total = [...merged.values()].reduce((s, v) => s + v, 0);
  return Object.fromEntries([...merged].map(([k, v]) => [k, round(v / total)]));
}

const round = (n: number) => Math.round(n * 100) / 100;
