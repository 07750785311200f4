import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useScriptedOpenAI } from "../../../helpers/useScriptedOpenAI.ts";
import { Cassette, type CassetteFile } from "../../../../agent/planners/llm/cassette.ts";
import { createLlmClient } from "../../../../agent/planners/llm/client.ts";
import type { Decision } from "../../../../core/types.ts";
import {
  fakeLogsTool,
  LEAK_LOGS,
  llmPlanner,
  plannerInput,
  recordLeakScenario,
  scriptLeakScenario,
} from "./helpers.ts";

const CASSETTES = fileURLToPath(new URL("../../../../evals/cassettes/", import.meta.url));
const LEAK_CASSETTE = join(CASSETTES, "memory_leak.synthetic.json");
// Nothing listens here: a replay that touched the network would fail.
const NOWHERE = "http://127.0.0.1:9/v1";

const server = useScriptedOpenAI();
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aegis-cassette-"));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
});

function replay(cassette: Cassette, kind = "memory_leak"): Promise<Decision> {
  const planner = llmPlanner(NOWHERE, { tools: [fakeLogsTool(LEAK_LOGS)], fetch: cassette.replayFetch() });
  return planner.decide(plannerInput(kind));
}

describe("cassettes", () => {
  it("records the real wire exchange and replays it deterministically without a server", async () => {
    scriptLeakScenario(server);
    const { cassette, decision } = await recordLeakScenario(server);
    const file = join(dir, "leak.json");
    cassette.save(file);

    const saved = JSON.parse(readFileSync(file, "utf8")) as CassetteFile;
    expect(saved.synthetic).toBe(true);
    expect(saved.entries).toHaveLength(3);
    expect(saved.entries.every((e) => e.request.path === "/chat/completions")).toBe(true);
    expect(readFileSync(file, "utf8")).not.toContain("sk-test-not-a-real-key");

    const first = Cassette.load(file);
    const again = Cassette.load(file);
    const [a, b] = [await replay(first), await replay(again)];
    expect(a).toEqual(decision);
    expect(b).toEqual(decision);
    expect(a.planner).toBe("llm");
    expect(first.misses).toEqual([]);
  });

  it("reports a request that was never recorded as off-script", async () => {
    scriptLeakScenario(server);
    const { cassette } = await recordLeakScenario(server);

    // Different evidence (a hung service) makes a different first request.
    const d = await replay(new Cassette(structuredClone(cassette.file)), "hung");
    expect(d.planner).toBe("heuristic");
    expect(d.notes?.at(-1)).toMatch(/cassette: off-script request [0-9a-f]{24} to \/chat\/completions/);
    expect(d.fallback?.code).toBe("llm_off_script");
  });

  it("records 429s as well, so a replay retries exactly as the recording did", async () => {
    server.push({ status: 429, message: "Rate limit reached", headers: { "retry-after-ms": "1" } });
    scriptLeakScenario(server);
    const cassette = Cassette.empty({ source: "synthetic" });
    const recording = llmPlanner(server.baseUrl, {
      tools: [fakeLogsTool(LEAK_LOGS)],
      fetch: cassette.recordingFetch(),
      maxRetries: 1,
    });
    expect((await recording.decide(plannerInput())).planner).toBe("llm");
    expect(cassette.file.entries.map((e) => e.response.status)).toEqual([429, 200, 200, 200]);

    const replayed = llmPlanner(NOWHERE, {
      tools: [fakeLogsTool(LEAK_LOGS)],
      fetch: cassette.replayFetch(),
      maxRetries: 1,
    });
    expect((await replayed.decide(plannerInput())).planner).toBe("llm");
  });
});

describe("committed cassettes (evals/cassettes)", () => {
  it("are all stamped synthetic, with their model: no real model was reachable when they were made", () => {
    const files = readdirSync(CASSETTES).filter((f) => f.endsWith(".json"));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const c = JSON.parse(readFileSync(join(CASSETTES, f), "utf8")) as CassetteFile;
      expect(c.source, f).toBe("synthetic");
      expect(c.synthetic, f).toBe(true);
      expect(c.model, f).toBe("gpt-4o-mini");
    }
  });

  it("the memory-leak cassette replays to the same decision through the start-up client", async () => {
    const { client, cassette } = createLlmClient({
      apiKey: undefined,
      baseUrl: NOWHERE,
      maxRetries: 0,
      cassette: { path: LEAK_CASSETTE, mode: "replay" },
    });
    const planner = llmPlanner(NOWHERE, { tools: [fakeLogsTool(LEAK_LOGS)], client });
    const d = await planner.decide(plannerInput());
    expect(cassette?.misses).toEqual([]);
    expect(d).toMatchObject({
      planner: "llm",
      action: "restart_container",
      model: "gpt-4o-mini",
      promptVersion: "v1",
      contributions: { memory_growth: 0.7, restarts: 0.2, latency: 0.1 },
    });
  });
});
