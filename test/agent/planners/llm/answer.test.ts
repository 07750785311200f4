import { describe, expect, it } from "vitest";
import { parseAnswer, textToolCalls } from "../../../../agent/planners/llm/answer.ts";
import { answer } from "./helpers.ts";

const DOCKER = ["restart_container", "kill_container", "scale_service", "none"] as const;

describe("reading a decision the way models write it", () => {
  it("a Llama 3.1-style call (`parameters`) and a call whose arguments are a JSON string", () => {
    const llama = JSON.stringify({ name: "submit_decision", parameters: answer({ confidence: 0.4 }) });
    expect(parseAnswer({ content: llama }, DOCKER)).toMatchObject({ ok: true, value: { confidence: 0.4 } });
    const stringArgs = `<tool_call>${JSON.stringify({ name: "submit_decision", arguments: JSON.stringify(answer()) })}</tool_call>`;
    expect(parseAnswer({ content: stringArgs }, DOCKER)).toMatchObject({
      ok: true,
      value: { action: "restart_container" },
    });
  });

  it("says what was wrong: empty, not JSON, another platform's action, an incomplete object", () => {
    expect(parseAnswer({ content: "" }, DOCKER)).toEqual({ ok: false, problem: "the answer is empty" });
    expect(parseAnswer({ content: "restart it" }, DOCKER)).toEqual({
      ok: false,
      problem: "the answer is not valid JSON",
    });
    expect(
      parseAnswer({ arguments: JSON.stringify(answer({ action: "rollout_restart" })) }, DOCKER),
    ).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/"rollout_restart" does not apply to this target's platform/),
    });
    expect(parseAnswer({ content: '{"action": "restart_container"}' }, DOCKER)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/params/),
    });
  });

  it("reads tool calls written as text, ignoring blocks that are not calls", () => {
    const text = `Let me look.\n<tool_call>\n{"name": "docker_container_logs", "arguments": {"tail": 50}}\n</tool_call>\n<tool_call>not json</tool_call>`;
    expect(textToolCalls(text)).toEqual([{ name: "docker_container_logs", arguments: '{"tail":50}' }]);
    expect(textToolCalls(null)).toEqual([]);
  });
});
