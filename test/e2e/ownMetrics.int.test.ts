import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestAegis, waitForFinished, type TestAegis } from "../helpers/aegis.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import { fault, useDockerHarness, waitFor } from "../helpers/docker.ts";
import { startPrometheus, type TestPrometheus } from "../helpers/prometheus.ts";
import { startScriptedOpenAI, type ScriptedOpenAI } from "../helpers/scriptedOpenAI.ts";
import { answer } from "../agent/planners/llm/helpers.ts";

const h = useDockerHarness("ownmetrics");
let t: TestAegis;
let prom: TestPrometheus;

beforeAll(async () => {
  t = await startTestAegis({ AEGIS_MODE: "auto", AEGIS_VERIFY_TIMEOUT_MS: "20000" });
  prom = await startPrometheus([`127.0.0.1:${t.server.port}`]);
});

afterAll(async () => {
  await prom?.stop();
  await t?.stop();
});

/** One instant query's single value, or undefined while the series does not exist yet. */
async function query(expr: string): Promise<number | undefined> {
  const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
  const v = body.data?.result?.[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

describe("AegisOps' own metrics scraped by a real Prometheus", () => {
  it("a healed leak shows up as a verified restart, a recovery time and a resolved incident", async () => {
    const { name, port } = await h.target("leak", { memoryMb: 1024 });
    await fault(port, "leak");
    const res = await postAlerts(t.baseUrl, retargeted({ alertname: "ContainerUnhealthy", container: name }));
    const id = (res.body.incidents as Array<{ id: string }>)[0]!.id;
    const incident = await waitForFinished(t.baseUrl, id);
    expect(incident.status).toBe("resolved");

    const verified = 'aegis_actions_total{action="restart_container",outcome="verified"}';
    await waitFor(async () => (await query(verified)) === 1, {
      timeoutMs: 15_000,
      what: "the scrape to see it",
    });
    expect(await query('aegis_incidents{status="resolved"}')).toBe(1);
    expect(await query("aegis_alert_to_verified_seconds_count")).toBe(1);
    expect(await query("aegis_alert_to_verified_seconds_sum")).toBeCloseTo(incident.mttrMs! / 1000, 3);
    expect(await query('aegis_webhook_requests_total{code="202"}')).toBe(1);
    expect(await query("aegis_agent_queue_depth")).toBe(0);
    expect(await query("process_resident_memory_bytes")).toBeGreaterThan(0);
  });
});

describe("LLM use and planner fallbacks on /metrics", () => {
  let model: ScriptedOpenAI;
  let llm: TestAegis;
  beforeAll(async () => {
    model = await startScriptedOpenAI();
    llm = await startTestAegis({
      AEGIS_MODE: "advise",
      OPENAI_API_KEY: "sk-test-not-a-real-key",
      OPENAI_BASE_URL: model.baseUrl,
      AEGIS_MODEL: "gpt-4o-mini@v1",
      AEGIS_EMBEDDER: "local",
      AEGIS_LLM_MAX_RETRIES: "0",
    });
  });
  afterAll(async () => {
    await llm?.stop();
    await model?.close();
  });

  const scrape = async () => (await fetch(`${llm.baseUrl}/metrics`)).text();
  const value = (text: string, series: string) =>
    Number(
      text
        .split("\n")
        .find((l) => l.startsWith(`${series} `))
        ?.slice(series.length + 1) ?? NaN,
    );

  it("counts the model's tokens, calls and cost, and a decision the heuristic planner took over", async () => {
    const name = `${h.prefix}-llm`;
    for (const suffix of ["llm", "llm-2"]) await fault((await h.target(suffix)).port, "5xx");
    model.push(
      // Investigation round, then the decision.
      { content: "The health URL answers 500.", usage: { prompt_tokens: 700, completion_tokens: 30 } },
      {
        toolCalls: [{ name: "submit_decision", arguments: answer({ family: "http_5xx" }) }],
        usage: { prompt_tokens: 900, completion_tokens: 120 },
      },
    );
    const first = await postAlerts(
      llm.baseUrl,
      retargeted({ alertname: "ContainerUnhealthy", container: name }),
    );
    const decided = await waitForFinished(
      llm.baseUrl,
      (first.body.incidents as Array<{ id: string }>)[0]!.id,
    );
    expect(decided.decision?.planner).toBe("llm");

    // The endpoint now fails: the heuristic planner decides, and that is a fallback.
    model.push({ status: 503, message: "overloaded" });
    const second = await postAlerts(
      llm.baseUrl,
      retargeted({ alertname: "ContainerUnhealthy", container: `${name}-2` }),
    );
    const fell = await waitForFinished(llm.baseUrl, (second.body.incidents as Array<{ id: string }>)[0]!.id);
    expect(fell.decision?.planner).toBe("heuristic");
    model.assertDone();

    const text = await waitFor(
      async () => {
        const t = await scrape();
        return value(t, 'aegis_planner_fallbacks_total{configured="llm",used="heuristic"}') === 1
          ? t
          : undefined;
      },
      { timeoutMs: 10_000, what: "the fallback on /metrics" },
    );
    expect(value(text, 'aegis_llm_tokens_total{model="gpt-4o-mini",direction="in"}')).toBe(1600);
    expect(value(text, 'aegis_llm_tokens_total{model="gpt-4o-mini",direction="out"}')).toBe(150);
    expect(value(text, 'aegis_llm_calls_total{model="gpt-4o-mini"}')).toBe(2);
    expect(value(text, 'aegis_llm_cost_usd_total{model="gpt-4o-mini"}')).toBeGreaterThan(0);
    expect(value(text, 'aegis_planner_decisions_total{planner="llm",action="restart_container"}')).toBe(1);
  });
});
