import OpenAI from "openai";
import { HeuristicPlanner } from "../agent/planners/heuristic.ts";
import { LlmPlanner } from "../agent/planners/llm/llmPlanner.ts";
import { loadPrompts } from "../agent/planners/llm/prompts.ts";
import type { Planner } from "../agent/planners/planner.ts";
import { startScriptedOpenAI } from "../test/helpers/scriptedOpenAI.ts";
import { instantPlatform } from "./fakePlatform.ts";
import { alertToActionMs } from "./alertToAction.ts";
import { startBenchAegis } from "./benchAegis.ts";
import { percentile, type BenchRow } from "./report.ts";

/** Incidents run first and not counted: the first ones pay for lazy loading and JIT compilation. */
const WARM_UP = 5;

const DECISION = {
  action: "restart_container",
  params: { replicas: null },
  confidence: 0.8,
  family: "http_5xx",
  summary: "The service answers with server errors.",
  rationale: "Five server-error log lines and a failing health check; a restart clears the bad state.",
  rejected_hypotheses: [{ hypothesis: "upstream outage", reason: "no upstream errors in the logs" }],
  contributions: [
    { evidence: "http_errors", weight: 0.6 },
    { evidence: "health_failing", weight: 0.4 },
  ],
  disposition: null,
};

/**
 * Alert received → action sent on the LLM path, with a scripted model that answers at once over real HTTP
 * (OpenAI SDK, prompts, redaction, quoting, tool loop, zod validation) and an instant platform: the time
 * the agent itself adds per incident, model latency excluded.
 */
export async function benchLlmOverhead(runs = 200): Promise<BenchRow[]> {
  const model = await startScriptedOpenAI();
  const sentAt = new Map<string, number>();
  const planner = new LlmPlanner({
    client: new OpenAI({ apiKey: "bench", baseURL: model.baseUrl, maxRetries: 0 }),
    model: "gpt-4o-mini",
    prompts: loadPrompts("v1"),
    fallback: new HeuristicPlanner(),
  });
  // The planner's own share: prompts, redaction, quoting, SDK, HTTP to the instant model, validation.
  const decideMs: number[] = [];
  const timed: Planner = {
    name: planner.name,
    async decide(input) {
      const start = performance.now();
      try {
        return await planner.decide(input);
      } finally {
        decideMs.push(performance.now() - start);
      }
    },
  };
  const bench = await startBenchAegis(
    "llm",
    { AEGIS_MODE: "auto", AEGIS_VERIFY_TIMEOUT_MS: "1000" },
    { planner: timed, platforms: [instantPlatform((target) => sentAt.set(target, Date.now()))] },
  );
  const latencies: number[] = [];
  let llmDecisions = 0;
  try {
    for (let i = -WARM_UP; i < runs; i++) {
      const container = `bench-llm-${i}`;
      model.push(
        { content: "Server errors after a bad deploy of state; restart." },
        { toolCalls: [{ name: "submit_decision", arguments: DECISION }] },
      );
      const ms = await alertToActionMs(bench, { sentAt, container, fingerprint: `benchllm${i}` });
      if (i < 0) continue;
      latencies.push(ms);
      const decided = await bench.aegis.incidents.list({ limit: 1 });
      if (decided[0]?.decision?.planner === "llm") llmDecisions++;
    }
    model.assertDone();
  } finally {
    await bench.close();
    await model.close();
  }
  latencies.sort((a, b) => a - b);
  const p99 = percentile(latencies, 99);
  const decide = decideMs.slice(WARM_UP).sort((a, b) => a - b);
  return [
    {
      name: "llm path alert → action sent p50",
      value: percentile(latencies, 50),
      unit: "ms",
      goal: "",
      ok: true,
    },
    { name: "llm path alert → action sent p99", value: p99, unit: "ms", goal: "< 100", ok: p99 < 100 },
    { name: "llm planner decide p50", value: percentile(decide, 50), unit: "ms", goal: "", ok: true },
    { name: "llm planner decide p99", value: percentile(decide, 99), unit: "ms", goal: "", ok: true },
    {
      name: "incidents decided by the llm planner",
      value: llmDecisions,
      unit: "count",
      goal: `= ${runs}`,
      ok: llmDecisions === runs,
    },
  ];
}
