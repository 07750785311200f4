import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CassetteFile } from "../../agent/planners/llm/cassette.ts";
import { runScenario, type RunOptions } from "../../evals/harness/runScenario.ts";
import { parseScenario, type Scenario } from "../../evals/harness/scenario.ts";
import { scoreRun } from "../../evals/harness/score.ts";
import { startScriptedOpenAI, type ScriptedOpenAI } from "../helpers/scriptedOpenAI.ts";
import { answer } from "../agent/planners/llm/helpers.ts";

let server: ScriptedOpenAI;
let dir: string;

beforeAll(async () => {
  server = await startScriptedOpenAI();
  dir = mkdtempSync(join(tmpdir(), "aegis-llm-eval-"));
});
afterEach(() => {
  try {
    server.assertDone();
  } finally {
    server.reset();
  }
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const scenario = (cassette: string, container = "web"): Scenario =>
  parseScenario(
    `id: llm-hung
description: d
family: hung_service
environment: { kind: docker, container: ${container}, before: hung, after: { kill_container: healthy } }
notifications:
  - alerts: [{ labels: { alertname: ServiceUnhealthy, container: ${container} } }]
cassette: ${cassette}
expect: { actions: [kill_container], verified: true }
`,
    "test.yaml",
  );

const llm = (mode: RunOptions["cassetteMode"], baseUrl: string): RunOptions => ({
  planner: "llm",
  model: "gpt-4o-mini@v1",
  cassetteMode: mode,
  openai: { apiKey: "sk-test-not-a-real-key", baseUrl },
});

describe("aegis eval with the llm planner", () => {
  it("--record captures the model's answers; --replay scores the same decision with no server", async () => {
    const file = join(dir, "hung.json");
    server.push(
      { toolCalls: [{ name: "docker_container_logs", arguments: {} }] },
      { content: "Alive but the health check times out: hung." },
      {
        toolCalls: [
          {
            name: "submit_decision",
            arguments: answer({
              action: "kill_container",
              family: "hung_service",
              params: { replicas: null },
            }),
          },
        ],
        usage: { prompt_tokens: 900, completion_tokens: 120 },
      },
    );
    const recorded = scoreRun(await runScenario(scenario(file), llm("record", server.baseUrl)));
    expect(recorded.planner).toBe("llm");
    expect(recorded.action).toBe("kill_container");
    expect(recorded.pass).toBe(true);
    expect(existsSync(file)).toBe(true);
    const saved = JSON.parse(readFileSync(file, "utf8")) as CassetteFile;
    expect(saved.entries).toHaveLength(3);
    expect(readFileSync(file, "utf8")).not.toContain("sk-test-not-a-real-key");

    // Nothing listens on port 9: a replay that reached the network would fail.
    const replayed = scoreRun(await runScenario(scenario(file), llm("replay", "http://127.0.0.1:9/v1")));
    expect(replayed.planner).toBe("llm");
    expect(replayed.offScript).toBe(0);
    expect(replayed.action).toBe(recorded.action);
    expect(replayed.tokensIn).toBe(recorded.tokensIn);
    expect(replayed.tokensIn).toBeGreaterThan(0);
    expect(replayed.pass).toBe(true);
  });

  it("a Kubernetes scenario recorded once replays with no server, though pod names and uids change", async () => {
    const file = join(dir, "crashloop.json");
    const s = parseScenario(
      `id: llm-crashloop
description: d
family: crashloop
environment:
  kind: kubernetes
  faults: [{ family: crashloop, target: shop/checkout, variant: bad_image }]
notifications:
  - alerts: [{ labels: { alertname: KubeWorkloadUnhealthy, namespace: shop, deployment: checkout } }]
cassette: ${file}
expect: { actions: [rollback_deployment], verified: true }
`,
      "test.yaml",
    );
    server.push(
      { content: "The new revision crashes on start while the previous one still serves." },
      {
        toolCalls: [
          {
            name: "submit_decision",
            arguments: answer({
              action: "rollback_deployment",
              family: "crashloop",
              params: { replicas: null },
            }),
          },
        ],
      },
    );
    const recorded = scoreRun(await runScenario(s, llm("record", server.baseUrl)));
    expect(recorded.planner).toBe("llm");
    expect(recorded.pass).toBe(true);
    const replayed = scoreRun(await runScenario(s, llm("replay", "http://127.0.0.1:9/v1")));
    expect(replayed.offScript).toBe(0);
    expect(replayed.planner).toBe("llm");
    expect(replayed.action).toBe("rollback_deployment");
    expect(replayed.pass).toBe(true);
  });

  it("a replay that goes off script is counted and falls back to the heuristic planner", async () => {
    const empty = join(dir, "none.json");
    const run = scoreRun(await runScenario(scenario(empty), llm("replay", "http://127.0.0.1:9/v1")));
    expect(run.offScript).toBeGreaterThan(0);
    expect(run.planner).toBe("heuristic");
    expect(run.action).toBe("kill_container");
  });
});
