/**
 * Rewrite the synthetic LLM cassettes in evals/cassettes after a prompt or tool change: the scripted
 * OpenAI-compatible server plays the memory-leak scenario and the planner's real requests are recorded.
 * Usage: node --import tsx scripts/rewrite-cassettes.ts && npx prettier --write evals/cassettes
 */
import { fileURLToPath } from "node:url";
import { recordLeakScenario, scriptLeakScenario } from "../test/agent/planners/llm/helpers.ts";
import { startScriptedOpenAI } from "../test/helpers/scriptedOpenAI.ts";

const LEAK_CASSETTE = fileURLToPath(
  new URL("../evals/cassettes/memory_leak.synthetic.json", import.meta.url),
);

const server = await startScriptedOpenAI();
try {
  scriptLeakScenario(server);
  const { cassette, decision } = await recordLeakScenario(server);
  server.assertDone();
  if (decision.planner !== "llm")
    throw new Error(`the planner fell back (${decision.fallback?.code ?? "?"})`);
  cassette.save(LEAK_CASSETTE);
  console.log(
    `wrote ${LEAK_CASSETTE} (${cassette.file.entries.length} exchanges, action ${decision.action})`,
  );
} finally {
  await server.close();
}
