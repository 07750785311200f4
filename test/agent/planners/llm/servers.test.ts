import { describe, expect, it } from "vitest";
import { useScriptedOpenAI } from "../../../helpers/useScriptedOpenAI.ts";
import type { Decision } from "../../../../core/types.ts";
import { toolCallText, TOOLS_REFUSED, type ChatRequest } from "../../../helpers/scriptedOpenAI.ts";
import { answer, fakeLogsTool, llmPlanner, plannerInput } from "./helpers.ts";

// The servers people run in front of their models, imitated on the wire: what each answers when a request
// is not to its liking, and how local models write a decision when the server does not parse tool calls.
const server = useScriptedOpenAI();

const LOGS = ["INFO allocating cache buffer 4096 KiB (cache size 812 MiB)"];
const plainJson = (req: ChatRequest) => {
  expect(req.tools).toBeUndefined();
  expect(req.tool_choice).toBeUndefined();
  expect(req.messages.at(-1)?.content).toMatch(
    /Tools cannot be called on this server, so answer with exactly one JSON object/,
  );
};
const fellBack = (d: Decision, why: RegExp) => {
  expect(d.planner).toBe("heuristic");
  expect(d.fallback?.reason).toMatch(why);
  expect(d.notes?.at(-1)).toMatch(/fell back to the heuristic planner: /);
};

describe("a 200 that is not a chat completion falls back with the reason, never an internal error", () => {
  it("a proxy's HTML error page", async () => {
    server.push({
      status: 200,
      contentType: "text/html",
      rawBody: "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
    });
    const d = await llmPlanner(server.baseUrl).decide(plannerInput());
    fellBack(
      d,
      /answered HTTP 200 with something that is not a chat completion \(text\/html: .*502 Bad Gateway/,
    );
    expect(d.action).toBe("restart_container");
    expect(d.fallback?.code).toBe("llm_unavailable");
  });

  it("another API's JSON (Ollama's native /api/chat reply)", async () => {
    server.push({
      status: 200,
      rawBody: JSON.stringify({
        model: "llama3.1",
        created_at: "2026-12-07T10:00:00Z",
        message: { role: "assistant", content: "hello" },
        done: true,
      }),
    });
    const d = await llmPlanner(server.baseUrl).decide(plannerInput());
    fellBack(d, /not a chat completion \(application\/json: .*"done":true/);
  });
});

describe("decisions written as local models write them", () => {
  const decided = async (content: string, action = "kill_container") => {
    server.push({ content: "A leak." }, { content });
    const d = await llmPlanner(server.baseUrl).decide(plannerInput());
    expect(d.planner).toBe("llm");
    expect(d.action).toBe(action);
    return d;
  };

  it("in prose: 'Here is my decision: {…}'", async () => {
    await decided(`Here is my decision: ${JSON.stringify(answer({ action: "kill_container" }))}`);
  });

  it("followed by a sentence, with braces inside its strings", async () => {
    const json = JSON.stringify(
      answer({ rationale: "Heap grows {steadily}; a kill frees it.", action: "kill_container" }),
    );
    const d = await decided(`${json}\nI chose this because the container is hung {mostly}.`);
    expect(d.rationale).toBe("Heap grows {steadily}; a kill frees it.");
  });

  it("inside a ```json fence between sentences", async () => {
    await decided(
      "After reading the logs:\n```json\n" +
        JSON.stringify(answer({ action: "kill_container" }), null, 2) +
        "\n```\nLet me know if you need more.",
    );
  });

  it("as a <tool_call> text block (Hermes/Qwen template on a llama.cpp server that ignored the tools)", async () => {
    server.setFlavor("llamacpp");
    await decided(toolCallText("submit_decision", answer({ action: "kill_container" })));
  });

  it("a llama.cpp server that dropped the tools: reads written as <tool_call> text are run and answered", async () => {
    server.setFlavor("llamacpp");
    server.push(
      { content: toolCallText("docker_container_logs", { tail: 20 }) },
      {
        expect: (req) => {
          const last = req.messages.at(-1);
          expect(last?.role).toBe("user");
          expect(last?.content).toMatch(
            /^Results of your tool calls:\n<untrusted_data source="docker_container_logs">/,
          );
          expect(last?.content).toContain("allocating cache buffer");
        },
        content: "Memory grows while traffic is flat: a leak.",
      },
      { content: toolCallText("submit_decision", answer()) },
    );
    const d = await llmPlanner(server.baseUrl, { tools: [fakeLogsTool(LOGS)] }).decide(plannerInput());
    expect(d).toMatchObject({ planner: "llm", action: "restart_container" });
    expect(d.notes).toEqual(["the model read docker_container_logs"]);
  });

  it("two different decisions in one answer get the repair round, not a guess", async () => {
    const two = JSON.stringify(answer({ action: "kill_container" })) + "\nor\n" + JSON.stringify(answer());
    server.push(
      { content: "A leak." },
      { content: two },
      {
        expect: (req) =>
          expect(req.messages.at(-1)?.content).toMatch(/the answer holds 2 different decisions/),
        toolCalls: [{ name: "submit_decision", arguments: answer() }],
      },
    );
    const d = await llmPlanner(server.baseUrl).decide(plannerInput());
    expect(d).toMatchObject({ planner: "llm", action: "restart_container" });
  });
});

describe("a server that refuses tools gets the question once more in plain-JSON mode", () => {
  it("Ollama: a model whose template has no tools (400 on the first request)", async () => {
    server.setFlavor("ollama");
    server.push(TOOLS_REFUSED.ollama("gemma3:4b"), {
      expect: plainJson,
      content: "Sure! " + JSON.stringify(answer()),
    });
    const d = await llmPlanner(server.baseUrl, { tools: [fakeLogsTool(LOGS)] }).decide(plannerInput());
    expect(d).toMatchObject({ planner: "llm", action: "restart_container" });
    expect(d.fallback).toBeUndefined();
    expect(d.notes).toContain(
      "the model server refused tool calling (HTTP 400 registry.ollama.ai/library/gemma3:4b does not support tools): the decision was asked for in plain-JSON mode, without tools",
    );
    expect(d.usage?.calls).toBe(1);
  });

  it("vLLM without --enable-auto-tool-choice: its top-level error body is read, not 'no body'", async () => {
    server.setFlavor("vllm");
    server.push(TOOLS_REFUSED.vllmNoAutoToolChoice(), {
      expect: plainJson,
      content: JSON.stringify(answer()),
    });
    const d = await llmPlanner(server.baseUrl, { tools: [fakeLogsTool(LOGS)] }).decide(plannerInput());
    expect(d.planner).toBe("llm");
    expect(d.notes?.join("\n")).toContain(
      'HTTP 400 "auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
    );
  });

  it("an older vLLM that takes tools but not tool_choice 'required' (400 at the decision)", async () => {
    server.setFlavor("vllm");
    server.push(
      { toolCalls: [{ name: "docker_container_logs", arguments: { tail: 20 } }] },
      { content: "Memory grows while traffic is flat: a leak." },
      {
        expect: (req) => expect(req.tool_choice).toBe("required"),
        ...TOOLS_REFUSED.vllmRequiredUnsupported(),
      },
      {
        expect: (req) => {
          plainJson(req);
          // What the model read before the refusal stays in the conversation.
          expect(JSON.stringify(req.messages)).toContain("allocating cache buffer");
        },
        content: JSON.stringify(answer({ confidence: 0.7 })),
      },
    );
    const d = await llmPlanner(server.baseUrl, { tools: [fakeLogsTool(LOGS)] }).decide(plannerInput());
    expect(d).toMatchObject({ planner: "llm", confidence: 0.7 });
    expect(d.notes?.[0]).toBe("the model read docker_container_logs");
    expect(d.notes?.join("\n")).toMatch(
      /refused tool calling \(HTTP 400 .*`tool_choice` must either be a named tool/,
    );
  });

  it("llama.cpp without --jinja, then two bad JSON answers: the fallback names both reasons", async () => {
    server.setFlavor("llamacpp");
    server.push(
      TOOLS_REFUSED.llamacppNoJinja(),
      { expect: plainJson, content: "I think the container should be restarted." },
      {
        expect: (req) =>
          expect(req.messages.at(-1)?.content).toMatch(/^Invalid decision: the answer is not valid JSON/),
        content: '{"action": "restart_container"}',
      },
    );
    // A 500 the client's retries cannot change: not retried (maxRetries 2 here, and no extra step scripted).
    const d = await llmPlanner(server.baseUrl, { tools: [fakeLogsTool(LOGS)], maxRetries: 2 }).decide(
      plannerInput(),
    );
    fellBack(
      d,
      /^the server refused tool calling \(HTTP 500 tools param requires --jinja flag\), then the model's plain-JSON decision was invalid after one repair round \(.*params/,
    );
  });

  it("a 400 that is not about tools (context too long) is not retried: the fallback says what it was", async () => {
    server.setFlavor("llamacpp");
    server.push({
      status: 400,
      message: "the request exceeds the available context size, try increasing it",
    });
    const d = await llmPlanner(server.baseUrl, { tools: [fakeLogsTool(LOGS)] }).decide(plannerInput());
    fellBack(
      d,
      /^the model API answered HTTP 400 \(after retries\): 400 the request exceeds the available context size/,
    );
    expect(server.requests).toHaveLength(1);
  });

  it("plain-JSON mode is entered once: a second refusal ends in the fallback", async () => {
    server.setFlavor("ollama");
    server.push(TOOLS_REFUSED.ollama(), { expect: plainJson, ...TOOLS_REFUSED.ollama() });
    const d = await llmPlanner(server.baseUrl, { tools: [fakeLogsTool(LOGS)] }).decide(plannerInput());
    fellBack(d, /refused tool calling .*, then the model API answered HTTP 400/);
  });
});
