import type OpenAI from "openai";
import { z } from "zod";
import { Cassette } from "../../../../agent/planners/llm/cassette.ts";
import { createLlmClient } from "../../../../agent/planners/llm/client.ts";
import { HeuristicPlanner } from "../../../../agent/planners/heuristic.ts";
import { LlmPlanner, type LlmLimits } from "../../../../agent/planners/llm/llmPlanner.ts";
import { loadPrompts } from "../../../../agent/planners/llm/prompts.ts";
import type { PlannerInput } from "../../../../agent/planners/planner.ts";
import { dockerSignals } from "../../../../agent/platforms/docker/signals.ts";
import { defaultPolicy } from "../../../../agent/policy/loadPolicy.ts";
import type { Decision, Target } from "../../../../core/types.ts";
import type { FixMemory } from "../../../../runbooks/memory/fixMemory.ts";
import { tool, type Tool } from "../../../../tools/tool.ts";
import { captured } from "../../../helpers/fixtures.ts";
import type { ChatRequest, ScriptedOpenAI } from "../../../helpers/scriptedOpenAI.ts";

export const target: Target = { kind: "docker_container", key: "docker:container/web", name: "web" };

/** What the investigate node hands the planner, from evidence captured on a real container. */
export function plannerInput(kind = "memory_leak", extraLogLines: string[] = []): PlannerInput {
  const obs = captured(kind);
  const logs = [...(obs.logs ?? []), ...extraLogLines.map((text) => ({ stream: "stdout" as const, text }))];
  return {
    incident: {
      id: "inc_llm_test",
      alerts: [
        {
          status: "firing",
          labels: { alertname: "ContainerUnhealthy", container: "web" },
          annotations: { summary: "web is unhealthy" },
          startsAt: "2026-11-23T18:00:00.000Z",
          endsAt: "0001-01-01T00:00:00Z",
          generatorURL: "",
          fingerprint: "f00d",
          receivedAt: "2026-11-23T18:00:01.000Z",
        },
      ],
    },
    target,
    evidence: {
      collectedAt: "2026-11-23T18:00:02.000Z",
      signals: dockerSignals({ ...obs, logs }),
      observations: { docker_container_logs: { lines: logs.slice(-30) } },
      errors: [],
    },
    recalled: [],
    policy: defaultPolicy(),
  };
}

/** A read-only logs tool answering with fixed lines (or failing). */
export function fakeLogsTool(lines: string[] | Error): Tool {
  return tool({
    name: "docker_container_logs",
    description: "Read the newest log lines of the incident's container.",
    parameters: z.object({ tail: z.number().int().min(1).max(1000).default(100).describe("Lines.") }),
    execute: async () => {
      if (lines instanceof Error) throw lines;
      return { lines: lines.map((text) => ({ stream: "stdout", text })) };
    },
  });
}

/** A valid `submit_decision` answer; override what a test needs. */
export function answer(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    action: "restart_container",
    params: { replicas: null },
    confidence: 0.8,
    family: "memory_leak",
    summary: "The web container leaks memory: usage grows steadily towards its limit.",
    rationale: "Memory grows about 5 MiB/s with no matching load; a restart frees it.",
    rejected_hypotheses: [{ hypothesis: "traffic spike", reason: "request rate is flat" }],
    contributions: [
      { evidence: "memory_growth", weight: 0.7 },
      { evidence: "restarts", weight: 0.2 },
      { evidence: "latency", weight: 0.1 },
    ],
    disposition: null,
    ...overrides,
  };
}

/** Build the LLM planner against a (scripted) OpenAI-compatible server. */
export function llmPlanner(
  baseURL: string,
  opts: {
    tools?: Tool[];
    toolsFor?: (target: Target) => Tool[];
    limits?: Partial<LlmLimits>;
    maxRetries?: number;
    fetch?: typeof fetch;
    client?: OpenAI;
    memory?: Pick<FixMemory, "recall">;
  } = {},
): LlmPlanner {
  // The start-up client (error bodies normalised, as in production), over the given transport.
  const client =
    opts.client ??
    createLlmClient({
      apiKey: "sk-test-not-a-real-key",
      baseUrl: baseURL,
      maxRetries: opts.maxRetries ?? 0,
      fetch: opts.fetch,
    }).client;
  return new LlmPlanner({
    client,
    model: "gpt-4o-mini",
    prompts: loadPrompts("v1"),
    fallback: new HeuristicPlanner(),
    readOnlyTools: opts.toolsFor ?? (() => opts.tools ?? []),
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.memory ? { memory: opts.memory } : {}),
  });
}

/** Names of the tools a request offered. */
export const offered = (req: ChatRequest) => (req.tools ?? []).map((t) => t.function.name);

/** What the memory-leak container's log shows the model. */
export const LEAK_LOGS = ["INFO allocating cache buffer 4096 KiB (cache size 812 MiB)"];

/** The memory-leak scenario as a scripted model plays it: read the logs, diagnose, decide. */
export function scriptLeakScenario(server: Pick<ScriptedOpenAI, "push">): void {
  server.push(
    { toolCalls: [{ name: "docker_container_logs", arguments: { tail: 50 } }] },
    { content: "Memory grows steadily while traffic is flat: a leak." },
    { toolCalls: [{ name: "submit_decision", arguments: answer() }] },
  );
}

/** Run the LLM planner on the leak scenario against `server`, recording the exchange as a synthetic cassette. */
export async function recordLeakScenario(
  server: Pick<ScriptedOpenAI, "baseUrl">,
): Promise<{ cassette: Cassette; decision: Decision }> {
  const cassette = Cassette.empty({
    source: "synthetic",
    model: "gpt-4o-mini",
    note: "Recorded from the scripted OpenAI-compatible server in the test suite, not from a real model.",
  });
  const planner = llmPlanner(server.baseUrl, {
    tools: [fakeLogsTool(LEAK_LOGS)],
    fetch: cassette.recordingFetch(),
  });
  return { cassette, decision: await planner.decide(plannerInput()) };
}
