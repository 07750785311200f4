import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createDockerPlatform } from "../../agent/platforms/docker/dockerPlatform.ts";
import type { Target } from "../../core/types.ts";
import { createRecordedDockerPlatform, readRecording } from "../../evals/harness/recordedDocker.ts";
import { createDockerClient } from "../../tools/docker/client.ts";
import type { Tool } from "../../tools/tool.ts";

const target: Target = { kind: "docker_container", key: "docker:container/web", name: "web" };

/** A tool as the model sees it in the request: name, description and JSON schema. */
const definition = (t: Tool) => ({
  name: t.name,
  description: t.description,
  parameters: z.toJSONSchema(t.parameters, { io: "input", unrepresentable: "any" }),
});

describe("the evals' recorded Docker environment", () => {
  it("offers the model exactly the tool definitions production offers for the same container", () => {
    // Nothing is called: the production tools are only listed (no engine is needed to build them).
    const production = createDockerPlatform({ docker: createDockerClient("tcp://127.0.0.1:9") });
    const recorded = createRecordedDockerPlatform({ container: "web", before: "memory_leak", after: {} });
    const live = production.readOnlyTools!(target).map(definition);
    expect(live.map((d) => d.name)).toEqual([
      "docker_container_logs",
      "docker_inspect_container",
      "docker_container_events",
      "docker_container_stats",
    ]);
    expect(recorded.platform.readOnlyTools!(target).map(definition)).toEqual(live);
  });

  it("answers them from the recording: the newest `tail` log lines; unrecorded events fail and say so", async () => {
    const { platform } = createRecordedDockerPlatform({ container: "web", before: "http_5xx", after: {} });
    const tools = new Map(platform.readOnlyTools!(target).map((t) => [t.name, t]));
    const all = readRecording("http_5xx").logs ?? [];
    expect(all.length).toBeGreaterThan(2);
    const out = (await tools.get("docker_container_logs")!.execute({ tail: 2 })) as { lines: unknown[] };
    expect(out.lines).toEqual(all.slice(-2));
    await expect(
      tools.get("docker_container_events")!.execute({ sinceIso: "2026-12-07T10:00:00Z" }),
    ).rejects.toThrow(/container events were not recorded in this environment/);
    await expect(tools.get("docker_container_logs")!.execute({ container: "db" })).rejects.toThrow(
      /bound to this incident's container web: container "db" is outside it/,
    );
  });
});
