import { describe, expect, it } from "vitest";
import { useScriptedOpenAI } from "../../../helpers/useScriptedOpenAI.ts";
import { type ChatRequest } from "../../../helpers/scriptedOpenAI.ts";
import { answer, fakeLogsTool, llmPlanner, offered, plannerInput } from "./helpers.ts";

const server = useScriptedOpenAI();

const LEAK_LOGS = ["INFO allocating cache buffer 4096 KiB (cache size 812 MiB)"];
const forcesSubmit = (req: ChatRequest) => {
  expect(req.tool_choice).toBe("required");
  expect(offered(req)).toEqual(["submit_decision"]);
};

describe("llm planner: investigation and decision over the OpenAI wire format", () => {
  it("investigates with read-only tools, then returns a validated decision with usage and cost", async () => {
    server.push(
      {
        expect: (req) => {
          expect(req.model).toBe("gpt-4o-mini");
          expect(offered(req).sort()).toEqual(["docker_container_logs", "recall_runbook_memory"]);
          expect(req.messages[0]?.content).toMatch(/restart_container: low/);
          expect(req.messages[1]?.content).toMatch(/<untrusted_data source="evidence">[\s\S]*memory_growth/);
        },
        toolCalls: [{ name: "docker_container_logs", arguments: { tail: 50 } }],
        usage: { prompt_tokens: 1000, completion_tokens: 50 },
      },
      {
        expect: (req) => {
          const last = req.messages.at(-1);
          expect(last?.role).toBe("tool");
          expect(last?.content).toMatch(/<untrusted_data source="docker_container_logs">/);
          expect(last?.content).toContain("allocating cache buffer");
        },
        content: "Memory grows steadily while traffic is flat: a leak.",
        usage: { prompt_tokens: 1200, completion_tokens: 80 },
      },
      {
        expect: (req) => {
          forcesSubmit(req);
          expect(offered(req)).toEqual(["submit_decision"]);
        },
        toolCalls: [{ name: "submit_decision", arguments: answer() }],
        usage: { prompt_tokens: 1500, completion_tokens: 200 },
      },
    );
    const planner = llmPlanner(server.baseUrl, { tools: [fakeLogsTool(LEAK_LOGS)] });

    const d = await planner.decide(plannerInput());

    expect(d).toMatchObject({
      action: "restart_container",
      target: "web",
      planner: "llm",
      model: "gpt-4o-mini",
      promptVersion: "v1",
      family: "memory_leak",
      confidence: 0.8,
      contributions: { memory_growth: 0.7, restarts: 0.2, latency: 0.1 },
      rejectedHypotheses: [{ hypothesis: "traffic spike", reason: "request rate is flat" }],
    });
    expect(d.summary).toMatch(/leaks memory/);
    expect(d.usage).toEqual({
      model: "gpt-4o-mini",
      promptVersion: "v1",
      calls: 3,
      tokensIn: 3700,
      tokensOut: 330,
      costUsd: (3700 * 0.15 + 330 * 0.6) / 1e6,
    });
    expect(d.notes).toEqual(["the model read docker_container_logs"]);
  });

  it("hands a failing tool's error back to the model as a tool result and carries on", async () => {
    server.push(
      { toolCalls: [{ name: "docker_container_logs", arguments: {} }] },
      {
        expect: (req) => expect(req.messages.at(-1)?.content).toMatch(/"error":"Docker engine unreachable/),
        content: "Logs are unavailable; deciding from the stats.",
      },
      { toolCalls: [{ name: "submit_decision", arguments: answer() }] },
    );
    const planner = llmPlanner(server.baseUrl, {
      tools: [fakeLogsTool(new Error("Docker engine unreachable at /var/run/docker.sock"))],
    });
    const d = await planner.decide(plannerInput());
    expect(d.planner).toBe("llm");
    expect(d.action).toBe("restart_container");
  });

  it("gives an invalid answer one repair round, telling the model what was wrong", async () => {
    server.push(
      { content: "A memory leak." },
      { toolCalls: [{ name: "submit_decision", arguments: "{not json" }] },
      {
        expect: (req) => {
          forcesSubmit(req);
          expect(req.messages.at(-1)).toMatchObject({ role: "tool" });
          expect(req.messages.at(-1)?.content).toMatch(/Invalid decision: the answer is not valid JSON/);
        },
        toolCalls: [{ name: "submit_decision", arguments: answer({ confidence: 0.66 }) }],
      },
    );
    const d = await llmPlanner(server.baseUrl).decide(plannerInput());
    expect(d.planner).toBe("llm");
    expect(d.confidence).toBe(0.66);
    expect(d.usage?.calls).toBe(3);
  });

  it("accepts a decision given as JSON content by a server that ignores tool_choice", async () => {
    server.push(
      { content: "A memory leak." },
      { content: "```json\n" + JSON.stringify(answer({ action: "kill_container" })) + "\n```" },
    );
    const d = await llmPlanner(server.baseUrl).decide(plannerInput());
    expect(d.planner).toBe("llm");
    expect(d.action).toBe("kill_container");
  });

  it("stops investigating after maxSteps rounds of tool calls and asks for the decision", async () => {
    const readLogs = { toolCalls: [{ name: "docker_container_logs", arguments: { tail: 10 } }] };
    server.push(readLogs, readLogs, {
      expect: forcesSubmit,
      toolCalls: [{ name: "submit_decision", arguments: answer() }],
    });
    const planner = llmPlanner(server.baseUrl, { tools: [fakeLogsTool(LEAK_LOGS)], limits: { maxSteps: 2 } });
    const d = await planner.decide(plannerInput());
    expect(d.planner).toBe("llm");
    expect(server.requests).toHaveLength(3);
  });

  it("lets the model query the runbook memory in its own words (read-only)", async () => {
    const queries: string[] = [];
    const memory = {
      async recall(query: { text: string }) {
        queries.push(query.text);
        return {
          hits: [],
          fixes: [
            {
              action: "restart_container" as const,
              verified: 4,
              failed: 0,
              similarity: 0.9,
              family: "memory_leak",
            },
          ],
        };
      },
    };
    server.push(
      {
        expect: (req) => expect(offered(req)).toContain("recall_runbook_memory"),
        toolCalls: [{ name: "recall_runbook_memory", arguments: { query: "heap grows without traffic" } }],
      },
      {
        expect: (req) =>
          expect(req.messages.at(-1)?.content).toMatch(/"action":"restart_container","family":"memory_leak"/),
        content: "Past leaks were fixed by a restart.",
      },
      { toolCalls: [{ name: "submit_decision", arguments: answer() }] },
    );
    const d = await llmPlanner(server.baseUrl, { memory }).decide(plannerInput());
    expect(queries).toEqual(["heap grows without traffic"]);
    expect(d.notes).toEqual(["the model read recall_runbook_memory"]);
  });

  it("never sends secrets found in logs, alerts or evidence to the model", async () => {
    const secrets = [
      "DATABASE_URL=postgres://orders:hunter2pw@db.internal:5432/orders",
      "upstream call with Authorization: Bearer abcd1234efgh5678ijkl",
      "aws credentials AKIAIOSFODNN7EXAMPLE loaded",
      "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
    ];
    server.push(
      { toolCalls: [{ name: "docker_container_logs", arguments: {} }] },
      { content: "A memory leak." },
      { toolCalls: [{ name: "submit_decision", arguments: answer() }] },
    );
    const planner = llmPlanner(server.baseUrl, { tools: [fakeLogsTool(secrets)] });
    await planner.decide(plannerInput("memory_leak", secrets));
    const sent = JSON.stringify(server.requests);
    for (const secret of [
      "hunter2pw",
      "abcd1234efgh5678ijkl",
      "AKIAIOSFODNN7EXAMPLE",
      "c2lnbmF0dXJlLXNpZ25hdHVyZQ",
    ]) {
      expect(sent).not.toContain(secret);
    }
    expect(sent).toContain("[redacted]");
    expect(sent).toContain("db.internal");
  });
});

describe("llm planner fallbacks: each ends in a heuristic decision that says why", () => {
  // The memory-leak evidence makes the heuristic planner restart the container.
  const expectFallback = (d: { planner: string; action: string; notes?: string[] }, why: RegExp) => {
    expect(d.planner).toBe("heuristic");
    expect(d.action).toBe("restart_container");
    expect(d.notes?.at(-1)).toMatch(
      /^llm planner \(gpt-4o-mini, prompts v1\) fell back to the heuristic planner: /,
    );
    expect(d.notes?.at(-1)).toMatch(why);
  };

  it("garbage JSON twice", async () => {
    server.push(
      { content: "A leak." },
      { toolCalls: [{ name: "submit_decision", arguments: "{{{" }] },
      { toolCalls: [{ name: "submit_decision", arguments: "still not json" }] },
    );
    const d = await llmPlanner(server.baseUrl).decide(plannerInput());
    expectFallback(d, /invalid after one repair round \(the answer is not valid JSON\)/);
    expect(d.usage?.calls).toBe(3);
  });

  it("an off-catalog action twice", async () => {
    const offCatalog = answer({ action: "delete_namespace" });
    server.push(
      { content: "A leak." },
      { toolCalls: [{ name: "submit_decision", arguments: offCatalog }] },
      {
        expect: (req) =>
          expect(req.messages.at(-1)?.content).toMatch(/"delete_namespace" is not in the catalog/),
        toolCalls: [{ name: "submit_decision", arguments: offCatalog }],
      },
    );
    const d = await llmPlanner(server.baseUrl).decide(plannerInput());
    expectFallback(d, /action "delete_namespace" is not in the catalog/);
  });

  it("a model that does not answer within the wall-clock timeout", async () => {
    server.push({ delayMs: 1500, content: "too late" });
    const d = await llmPlanner(server.baseUrl, { limits: { timeoutMs: 200 } }).decide(plannerInput());
    expectFallback(d, /timed out after 200 ms/);
  });

  it("429 after the client's retries", async () => {
    const limited = { status: 429, message: "Rate limit reached", headers: { "retry-after-ms": "1" } };
    server.push(limited, limited);
    const d = await llmPlanner(server.baseUrl, { maxRetries: 1 }).decide(plannerInput());
    expectFallback(d, /HTTP 429 \(after retries\)/);
  });

  it("a 200 whose body claims to be JSON and is not", async () => {
    server.push({ status: 200, rawBody: "<html>502 Bad Gateway</html>" });
    const d = await llmPlanner(server.baseUrl).decide(plannerInput());
    expectFallback(d, /answered HTTP 200 with a body that is not JSON/);
  });

  it("a 5xx that a retry gets past is no fallback", async () => {
    server.push(
      { status: 503, message: "overloaded", headers: { "retry-after-ms": "1" } },
      { content: "A leak." },
      { toolCalls: [{ name: "submit_decision", arguments: answer() }] },
    );
    const d = await llmPlanner(server.baseUrl, { maxRetries: 1 }).decide(plannerInput());
    expect(d.planner).toBe("llm");
  });

  it("a spent token budget stops the loop before the next request", async () => {
    server.push({
      toolCalls: [{ name: "docker_container_logs", arguments: {} }],
      usage: { prompt_tokens: 6000, completion_tokens: 40 },
    });
    const planner = llmPlanner(server.baseUrl, {
      tools: [fakeLogsTool(LEAK_LOGS)],
      limits: { tokenBudget: 5000 },
    });
    const d = await planner.decide(plannerInput());
    expectFallback(d, /token budget exhausted: 6040 of 5000 tokens spent in 1 call/);
    expect(d.usage).toMatchObject({ calls: 1, tokensIn: 6000, tokensOut: 40 });
  });
});

describe("scripted OpenAI server", () => {
  it("fails the test for a step nobody consumed and for a request nobody scripted", async () => {
    server.push({ content: "never asked" });
    expect(() => server.assertDone()).toThrow(/1 scripted step\(s\) not consumed/);
    server.reset();

    const d = await llmPlanner(server.baseUrl).decide(plannerInput());
    expect(d.planner).toBe("heuristic");
    expect(d.notes?.at(-1)).toMatch(/HTTP 400.*unscripted request #1/);
    expect(() => server.assertDone()).toThrow(/unscripted request #1/);
    server.reset();
  });
});
