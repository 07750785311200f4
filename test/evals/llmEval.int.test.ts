import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScriptStep } from "../helpers/scriptedOpenAI.ts";
import { useScriptedOpenAI } from "../helpers/useScriptedOpenAI.ts";
import type { CassetteFile } from "../../agent/planners/llm/cassette.ts";
import { runScenario, type RunOptions } from "../../evals/harness/runScenario.ts";
import { parseScenario, type Scenario } from "../../evals/harness/scenario.ts";
import { scoreRun, summarise } from "../../evals/harness/score.ts";
import { answer } from "../agent/planners/llm/helpers.ts";

const server = useScriptedOpenAI();
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aegis-llm-eval-"));
});
afterAll(async () => {
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

// Recorded from the scripted server: stamped synthetic, as a user recording from a script would say.
const llm = (mode: RunOptions["cassetteMode"], baseUrl: string): RunOptions => ({
  planner: "llm",
  model: "gpt-4o-mini@v1",
  cassetteMode: mode,
  openai: { apiKey: "sk-test-not-a-real-key", baseUrl },
  cassetteSource: "synthetic",
});

/** The model's two turns for the hung container: its reading, then kill_container (with `last` on the decision). */
const hungAnswer = (last: Partial<ScriptStep> = {}): ScriptStep[] => [
  { content: "Alive but the health check times out: hung." },
  {
    toolCalls: [
      {
        name: "submit_decision",
        arguments: answer({ action: "kill_container", family: "hung_service", params: { replicas: null } }),
      },
    ],
    ...last,
  },
];

describe("aegis eval with the llm planner", () => {
  it("--record captures the model's answers; --replay scores the same decision with no server", async () => {
    const file = join(dir, "hung.json");
    server.push(
      { toolCalls: [{ name: "docker_container_logs", arguments: {} }] },
      ...hungAnswer({ usage: { prompt_tokens: 900, completion_tokens: 120 } }),
    );
    const recorded = scoreRun(await runScenario(scenario(file), llm("record", server.baseUrl)));
    expect(recorded.planner).toBe("llm");
    expect(recorded.action).toBe("kill_container");
    expect(recorded.pass).toBe(true);
    expect(existsSync(file)).toBe(true);
    const saved = JSON.parse(readFileSync(file, "utf8")) as CassetteFile;
    expect(saved.entries).toHaveLength(3);
    expect(saved).toMatchObject({
      source: "synthetic",
      synthetic: true,
      model: "gpt-4o-mini",
      server: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    });
    expect(readFileSync(file, "utf8")).not.toContain("sk-test-not-a-real-key");

    // Nothing listens on port 9: a replay that reached the network would fail.
    const replayed = scoreRun(await runScenario(scenario(file), llm("replay", "http://127.0.0.1:9/v1")));
    expect(replayed.planner).toBe("llm");
    expect(replayed.offScript).toBe(0);
    expect(replayed.action).toBe(recorded.action);
    expect(replayed.tokensIn).toBe(recorded.tokensIn);
    expect(replayed.tokensIn).toBeGreaterThan(0);
    expect(replayed.pass).toBe(true);
    expect(replayed).toMatchObject({ cassette: "synthetic", decisions: 1, modelDecisions: 1, fallbacks: [] });
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
    // Measured as the fallback's decision, not the model's, with the reason counted.
    expect(run).toMatchObject({ cassette: "none", decisions: 1, modelDecisions: 0 });
    expect(run.fallbacks.map((f) => f.code)).toEqual(["llm_off_script"]);
    expect(summarise([run])).toMatchObject({
      modelShare: 0,
      fallbackReasons: { llm_off_script: 1 },
      cassettes: { none: 1 },
    });
  });
});

const BIN = join(import.meta.dirname, "..", "..", "bin", "aegis.js");

/** `aegis eval --planner llm --replay` on one scenario directory; never throws on a non-zero exit. */
async function evalCli(scenarioDir: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [
        BIN,
        "eval",
        "--scenarios",
        "--planner",
        "llm",
        "--replay",
        "--model",
        "gpt-4o-mini@v1",
        "--dir",
        scenarioDir,
        "--out",
        join(scenarioDir, "reports"),
        ...args,
      ],
      {
        env: { ...process.env, AEGIS_EMBEDDER: "local", OPENAI_API_KEY: "", AEGIS_LOG_LEVEL: "silent" },
        timeout: 120_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("aegis eval measures the model, not the fallback", () => {
  it("fails above --max-fallback-share, naming the fallback reasons; passes when the model decided", async () => {
    const none = join(dir, "cli-none");
    mkdirSync(none, { recursive: true });
    const yaml = (cassette: string) =>
      `id: llm-hung-cli
description: d
family: hung_service
environment: { kind: docker, container: web, before: hung, after: { kill_container: healthy } }
notifications:
  - alerts: [{ labels: { alertname: ServiceUnhealthy, container: web } }]
cassette: ${cassette}
expect: { actions: [kill_container], verified: true }
`;
    writeFileSync(join(none, "s.yaml"), yaml(join(dir, "cli-missing.json")));
    const failing = await evalCli(none);
    // The heuristic fallback chose right, yet the run fails: nothing of it measured the model.
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/decided by the model \(not the fallback\)\s+│?\s*0\.0 %/);
    expect(failing.stdout).toMatch(/fallback reasons\s+│?\s*llm_off_script 1/);
    expect(failing.stdout).toMatch(/answers replayed from\s+│?\s*none 1/);
    expect(failing.stdout).toMatch(/FAILED: fallback share 100\.0 % > 10\.0 % \(--max-fallback-share\)/);
    expect(readFileSync(join(none, "reports", "latest-llm_gpt-4o-mini@v1.md"), "utf8")).toMatch(
      /## Decided by the fallback planner[\s\S]*llm-hung-cli \| llm_off_script \| llm planner|llm-hung-cli \| llm_off_script/,
    );
    expect((await evalCli(none, "--max-fallback-share", "1")).code).toBe(0);
    const bad = await evalCli(none, "--max-fallback-share", "2");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/expected a fraction between 0 and 1, got "2"/);

    // Recorded once from a (scripted) model, the same scenario is decided by the model on replay.
    const recordedDir = join(dir, "cli-recorded");
    mkdirSync(recordedDir, { recursive: true });
    const file = join(dir, "cli-hung.json");
    server.push(...hungAnswer());
    writeFileSync(join(recordedDir, "s.yaml"), yaml(file));
    const s = parseScenario(yaml(file), "s.yaml");
    const recorded = scoreRun(await runScenario(s, llm("record", server.baseUrl)));
    expect(recorded.modelDecisions).toBe(1);
    const passing = await evalCli(recordedDir);
    expect(passing.stdout).toMatch(/decided by the model \(not the fallback\)\s+│?\s*100\.0 %/);
    expect(passing.stdout).toMatch(/answers replayed from\s+│?\s*synthetic 1/);
    expect(passing.code).toBe(0);
    // Five `aegis eval` processes, each bounded by evalCli's own 120 s: the test's time is theirs, and on a
    // loaded machine their start-up alone outlasts the default 60 s.
  }, 400_000);
});
