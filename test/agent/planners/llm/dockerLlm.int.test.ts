import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { platformFor } from "../../../../agent/platforms/platform.ts";
import { createDockerPlatform } from "../../../../agent/platforms/docker/dockerPlatform.ts";
import type { Target } from "../../../../core/types.ts";
import { postAlerts, retargeted } from "../../../helpers/alerts.ts";
import { startTestAegis, waitForFinished, type TestAegis } from "../../../helpers/aegis.ts";
import {
  fault,
  freePort,
  removeContainersNamed,
  runTarget,
  testDocker,
  uniqueName,
  waitFor,
} from "../../../helpers/docker.ts";
import { startScriptedOpenAI, type ScriptedOpenAI } from "../../../helpers/scriptedOpenAI.ts";
import { answer, llmPlanner, offered } from "./helpers.ts";

const prefix = uniqueName("llm");
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
  await removeContainersNamed(prefix);
});

describe("llm planner on the real Docker engine", () => {
  it("offers only read-only tools, each bound to the incident's container", async () => {
    const name = `${prefix}-tools`;
    const other = `${prefix}-other`;
    const [port, otherPort] = [await freePort(), await freePort()];
    await runTarget({ name, port });
    await runTarget({ name: other, port: otherPort });
    await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok), { what: "target up" });

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
    const name = `${prefix}-leak`;
    const port = await freePort();
    await runTarget({ name, port, memoryMb: 1024 });
    await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok), { what: "target up" });
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
