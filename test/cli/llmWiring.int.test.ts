import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import { startTestAegis, waitForFinished, type TestAegis } from "../helpers/aegis.ts";
import { fault, useDockerHarness } from "../helpers/docker.ts";
import { startScriptedOpenAI, type ScriptedOpenAI } from "../helpers/scriptedOpenAI.ts";
import { answer } from "../agent/planners/llm/helpers.ts";

const h = useDockerHarness("llmwire");
let model: ScriptedOpenAI;
let t: TestAegis;

beforeAll(async () => {
  model = await startScriptedOpenAI();
  // Only configuration, as a user would set it: a key and an OpenAI-compatible base URL.
  t = await startTestAegis({
    AEGIS_MODE: "advise",
    OPENAI_API_KEY: "sk-test-not-a-real-key",
    OPENAI_BASE_URL: model.baseUrl,
    AEGIS_MODEL: "gpt-4o-mini@v1",
    // The scripted server speaks chat completions only; embeddings stay local.
    AEGIS_EMBEDDER: "local",
  });
});

afterAll(async () => {
  await t?.stop();
  await model?.close();
});

describe("configuration → planner", () => {
  it("with OPENAI_API_KEY set the llm planner decides, recording model and prompt version", async () => {
    expect(t.aegis.plannerName).toBe("llm");
    const { name, port } = await h.target("web");
    await fault(port, "5xx");
    model.push(
      // Investigation round: the model has seen enough in the evidence it was given.
      { expect: (req) => expect(req.model).toBe("gpt-4o-mini"), content: "The health URL answers 500." },
      {
        toolCalls: [{ name: "submit_decision", arguments: answer({ family: "http_5xx" }) }],
        usage: { prompt_tokens: 900, completion_tokens: 120 },
      },
    );

    const res = await postAlerts(t.baseUrl, retargeted({ alertname: "ContainerUnhealthy", container: name }));
    const incident = await waitForFinished(t.baseUrl, (res.body.incidents as Array<{ id: string }>)[0]!.id);

    model.assertDone();
    expect(incident.status).toBe("advised");
    expect(incident.decision).toMatchObject({
      planner: "llm",
      model: "gpt-4o-mini",
      promptVersion: "v1",
      action: "restart_container",
    });
    expect(incident.decision?.summary).toMatch(/leaks memory/);
  });
});
