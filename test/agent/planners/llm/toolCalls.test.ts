import { describe, expect, it } from "vitest";
import { useScriptedOpenAI } from "../../../helpers/useScriptedOpenAI.ts";
import { z } from "zod";
import { tool } from "../../../../tools/tool.ts";
import { answer, fakeLogsTool, llmPlanner, plannerInput } from "./helpers.ts";

const server = useScriptedOpenAI();

const submit = { toolCalls: [{ name: "submit_decision", arguments: answer() }] };
const lastToolResult = (i: number) => String(server.requests[i]?.messages.at(-1)?.content);

describe("what the model reads through its tools", () => {
  it("a long log keeps its NEWEST lines within the token cap and says what was cut and how to narrow", async () => {
    const lines = Array.from(
      { length: 3000 },
      (_, i) => `2026-12-07T10:${String(i).padStart(4, "0")} INFO request served line-${i}`,
    );
    lines[2999] = "2026-12-07T10:59:59 ERROR java.lang.OutOfMemoryError: Java heap space";
    server.push(
      { toolCalls: [{ name: "docker_container_logs", arguments: { tail: 1000 } }] },
      { content: "The newest line is an OutOfMemoryError." },
      submit,
    );
    const planner = llmPlanner(server.baseUrl, {
      tools: [fakeLogsTool(lines)],
      limits: { maxToolResultTokens: 1500 },
    });
    await planner.decide(plannerInput());

    const result = lastToolResult(1);
    expect(result).toContain("java.lang.OutOfMemoryError");
    expect(result).not.toContain('line-0"');
    expect(result).not.toContain('line-1"');
    expect(result).toMatch(
      /the \d+ oldest of 3000 entries of lines were cut to fit 1500 tokens; the \d+ newest are kept/,
    );
    expect(result).toMatch(/narrow the query with tail/);
    // Within the cap (four characters a token), the quoting around it aside.
    expect(result.length).toBeLessThan(1500 * 4 + 200);
  });

  it("the investigation's own evidence, when long, keeps its newest log lines too", async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => ({
      stream: "stdout",
      text: `INFO served request line-${i}`,
    }));
    lines[1999] = { stream: "stderr", text: "FATAL out of memory: cannot allocate 64 MiB" };
    const input = plannerInput();
    input.evidence = { ...input.evidence, observations: { k8s_pod_logs: { pod: "web-1", lines } } };
    server.push(
      {
        expect: (req) => {
          const prompt = String(req.messages[1]?.content);
          expect(prompt).toContain("FATAL out of memory");
          expect(prompt).not.toContain('line-0"');
          expect(prompt).toMatch(/oldest of 2000 entries of observations\.k8s_pod_logs\.lines were cut/);
          // The signals the evidence opened with are still there.
          expect(prompt).toContain("memory_growth");
        },
        content: "Out of memory.",
      },
      submit,
    );
    await llmPlanner(server.baseUrl, { tools: [fakeLogsTool(["x"])] }).decide(input);
  });

  it("a result with no list to cut is cut at its end, and says so", async () => {
    const blob = tool({
      name: "docker_inspect_container",
      description: "Inspect the incident's container.",
      parameters: z.object({}),
      execute: async () => ({ config: { env: "X".repeat(20_000) } }),
    });
    server.push(
      { toolCalls: [{ name: "docker_inspect_container", arguments: {} }] },
      { content: "ok" },
      submit,
    );
    await llmPlanner(server.baseUrl, { tools: [blob], limits: { maxToolResultTokens: 500 } }).decide(
      plannerInput(),
    );
    expect(lastToolResult(1)).toMatch(/only its first 500 are kept/);
    expect(lastToolResult(1).length).toBeLessThan(500 * 4 + 400);
  });

  it("an identical repeated call is refused with a clear tool error (defaults count: {} is tail 100)", async () => {
    let runs = 0;
    const logs = tool({
      name: "docker_container_logs",
      description: "Read the newest log lines of the incident's container.",
      parameters: z.object({ tail: z.number().int().min(1).max(1000).default(100).describe("Lines.") }),
      execute: async ({ tail }) => {
        runs++;
        return { lines: [{ stream: "stdout", text: `tail ${tail}` }] };
      },
    });
    server.push(
      { toolCalls: [{ name: "docker_container_logs", arguments: {} }] },
      { toolCalls: [{ name: "docker_container_logs", arguments: { tail: 100 } }] },
      { toolCalls: [{ name: "docker_container_logs", arguments: { tail: 20 } }] },
      { content: "Enough." },
      submit,
    );
    const d = await llmPlanner(server.baseUrl, { tools: [logs] }).decide(plannerInput());

    expect(runs).toBe(2);
    expect(lastToolResult(2)).toMatch(
      /refused: you already called docker_container_logs with exactly these arguments in this incident/,
    );
    expect(lastToolResult(3)).toContain("tail 20");
    expect(d.notes).toEqual([
      "the model read docker_container_logs, docker_container_logs",
      "the model repeated a call to docker_container_logs with the same arguments: refused",
    ]);
  });

  it("the notes tell a failed call and a tool never offered apart from what the model read", async () => {
    server.push(
      {
        toolCalls: [
          { name: "docker_container_logs", arguments: {} },
          { name: "docker_exec", arguments: { cmd: "cat /etc/shadow" } },
          { name: "recall_runbook_memory", arguments: {} },
        ],
      },
      {
        expect: (req) => {
          const results = req.messages.filter((m) => m.role === "tool").map((m) => String(m.content));
          expect(results[0]).toMatch(/"error":"Docker engine unreachable/);
          expect(results[1]).toMatch(/unknown tool docker_exec: it was not offered/);
        },
        content: "Deciding from the evidence.",
      },
      submit,
    );
    const planner = llmPlanner(server.baseUrl, {
      tools: [fakeLogsTool(new Error("Docker engine unreachable at /var/run/docker.sock"))],
    });
    const d = await planner.decide(plannerInput());
    expect(d.notes).toEqual([
      "the model read recall_runbook_memory",
      "the model's call to docker_container_logs failed: Docker engine unreachable at /var/run/docker.sock",
      "flagged: the model tried to call docker_exec, a tool it was not offered; refused, nothing ran",
    ]);
  });

  it("submit_decision called while investigating is neither run nor flagged", async () => {
    server.push(
      { toolCalls: [{ name: "submit_decision", arguments: answer() }] },
      {
        expect: (req) => expect(req.messages.at(-1)?.content).toMatch(/submit_decision is not available yet/),
        content: "A leak.",
      },
      submit,
    );
    const d = await llmPlanner(server.baseUrl, { tools: [fakeLogsTool(["x"])] }).decide(plannerInput());
    expect(d.planner).toBe("llm");
    expect(d.notes).toEqual([]);
  });
});
