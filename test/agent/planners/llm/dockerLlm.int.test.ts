import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { platformFor } from "../../../../agent/platforms/platform.ts";
import { createDockerPlatform } from "../../../../agent/platforms/docker/dockerPlatform.ts";
import type { Incident, Target } from "../../../../core/types.ts";
import { postAlerts, retargeted } from "../../../helpers/alerts.ts";
import { getIncident, startTestAegis, waitForFinished, type TestAegis } from "../../../helpers/aegis.ts";
import { fault, testDocker, useDockerHarness, waitFor } from "../../../helpers/docker.ts";
import { startScriptedOpenAI, type ScriptedOpenAI } from "../../../helpers/scriptedOpenAI.ts";
import { answer, llmPlanner, offered } from "./helpers.ts";

const h = useDockerHarness("llm");
const platform = createDockerPlatform({ docker: testDocker() });
let model: ScriptedOpenAI;
let t: TestAegis;

beforeAll(async () => {
  model = await startScriptedOpenAI();
  // The wiring compose.ts uses: the planner reads through the platform's read-only tools.
  const planner = llmPlanner(model.baseUrl, {
    toolsFor: (target: Target) => platformFor([platform], target)?.readOnlyTools?.(target) ?? [],
  });
  t = await startTestAegis(
    { AEGIS_MODE: "auto", AEGIS_VERIFY_TIMEOUT_MS: "20000" },
    { platforms: [platform], planner },
  );
});

afterAll(async () => {
  await t?.stop();
  await model?.close();
});

describe("llm planner on the real Docker engine", () => {
  it("offers only read-only tools, each bound to the incident's container", async () => {
    const { name } = await h.target("tools");
    const { name: other } = await h.target("other", { waitHealthy: false });

    const tools = platform.readOnlyTools!({
      kind: "docker_container",
      key: `docker:container/${name}`,
      name,
    });
    expect(tools.map((x) => x.name).sort()).toEqual([
      "docker_container_events",
      "docker_container_logs",
      "docker_container_stats",
      "docker_inspect_container",
    ]);
    expect(tools.every((x) => x.risk === null)).toBe(true);
    // A model that names another container is told the tool is bound to this one; without a name it reads this one.
    const inspect = tools.find((x) => x.name === "docker_inspect_container")!;
    await expect(inspect.execute({ container: other } as never)).rejects.toThrow(
      new RegExp(`bound to this incident's container ${name}: container "${other}" is outside it`),
    );
    const seen = (await inspect.execute({} as never)) as { name: string };
    expect(seen.name).toBe(name);
  });

  it("reads the real logs of a leaking container, decides, and the restart is verified", async () => {
    const { name, port } = await h.target("leak", { memoryMb: 1024 });
    await fault(port, "leak");

    model.push(
      {
        expect: (req) => {
          expect(offered(req)).toContain("docker_container_logs");
          expect(offered(req).some((n) => /restart|kill|scale/.test(n))).toBe(false);
        },
        toolCalls: [{ name: "docker_container_logs", arguments: { tail: 20 } }],
      },
      {
        expect: (req) => expect(req.messages.at(-1)?.content).toContain("fault enabled: leak"),
        content: "The log shows a leak fault enabled; memory grows.",
      },
      { toolCalls: [{ name: "submit_decision", arguments: answer() }] },
    );
    const res = await postAlerts(t.baseUrl, retargeted({ alertname: "ContainerUnhealthy", container: name }));
    const id = (res.body.incidents as Array<{ id: string }>)[0]!.id;
    const incident = await waitForFinished(t.baseUrl, id);
    model.assertDone();

    expect(incident.status).toBe("resolved");
    expect(incident.decision).toMatchObject({
      planner: "llm",
      action: "restart_container",
      promptVersion: "v1",
    });
    expect(incident.decision?.summary).toMatch(/leaks memory/);
    expect(incident.verification?.healthy).toBe(true);
    const decide = incident.timeline.find((e) => e.step === "decide" && /llm planner chose/.test(e.message));
    expect(decide?.message).toMatch(/Root cause: The web container leaks memory/);
    expect(decide?.data?.usage).toMatchObject({ model: "gpt-4o-mini", calls: 3 });
  });
});

// A sure-sounding model is not evidence: an action the investigation's own evidence contradicts is not sent in
// auto mode, whatever confidence the model gives, and nothing is learned from it.
const startedAt = async (name: string) => (await testDocker().getContainer(name).inspect()).State.StartedAt;
const containersNamed = async (name: string) =>
  (await testDocker().listContainers({ all: true, filters: { name: [name] } })).length;

async function openIncident(container: string): Promise<string> {
  const res = await postAlerts(t.baseUrl, retargeted({ alertname: "ContainerUnhealthy", container }));
  expect(res.status).toBe(202);
  return (res.body.incidents as Array<{ id: string }>)[0]!.id;
}

describe("an LLM decision the evidence contradicts, in auto mode", () => {
  it("a kill of a healthy container at confidence 1.0 is refused, not sent, and not learned", async () => {
    const { name } = await h.target("healthy");
    const before = await startedAt(name);
    model.push(
      { content: "The service is hung: kill it." },
      {
        toolCalls: [
          {
            name: "submit_decision",
            arguments: answer({
              action: "kill_container",
              confidence: 1,
              family: "hung_service",
              summary: "The container is hung.",
              rationale: "Certain: kill and start it.",
            }),
          },
        ],
      },
    );
    const incident = await waitForFinished(t.baseUrl, await openIncident(name));
    model.assertDone();

    expect(incident.decision).toMatchObject({ planner: "llm", action: "kill_container", confidence: 1 });
    expect(incident.status).toBe("escalated");
    expect(incident.statusReason).toMatch(
      /action_not_supported_by_evidence: kill_container on a target the evidence shows healthy/,
    );
    expect(incident.actions).toHaveLength(0);
    expect(await startedAt(name)).toBe(before);
    expect(incident.timeline.find((e) => e.step === "check")?.message).toMatch(
      /plausibility: kill_container refused/,
    );
    expect(incident.timeline.some((e) => e.step === "act" || /remembered/.test(e.message))).toBe(false);
  });

  it("a scale to 100 replicas for a leak waits for a person, and no replica is started", async () => {
    const { name, port } = await h.target("scale100", { memoryMb: 1024 });
    await fault(port, "leak");
    model.push(
      { content: "Memory grows: more replicas will spread it." },
      {
        toolCalls: [
          {
            name: "submit_decision",
            arguments: answer({
              action: "scale_service",
              params: { replicas: 100 },
              confidence: 1,
              rationale: "Scale out to 100 replicas.",
            }),
          },
        ],
      },
    );
    const id = await openIncident(name);
    const waiting = await waitFor(
      async () => {
        const i: Incident = await getIncident(t.baseUrl, id);
        return i.status === "open" || i.status === "investigating" ? undefined : i;
      },
      { what: "the incident to stop before acting", timeoutMs: 45_000 },
    );
    model.assertDone();

    expect(waiting.decision).toMatchObject({
      planner: "llm",
      action: "scale_service",
      params: { replicas: 100 },
    });
    expect(waiting.status).toBe("awaiting_approval");
    expect(waiting.timeline.find((e) => e.step === "check")?.message).toMatch(
      /plausibility: scale_service needs a person's approval: scale_service treats capacity_saturated/,
    );
    expect(waiting.actions).toHaveLength(0);
    expect(await containersNamed(name)).toBe(1);
  });
});
