import { describe, expect, it } from "vitest";
import { createInspectContainerTool } from "../../../tools/docker/inspectContainer.ts";
import { createKillContainerTool } from "../../../tools/docker/killContainer.ts";
import { createHealthProbeTool } from "../../../tools/http/healthProbe.ts";
import { answersHealth, fault, useDockerHarness, waitFor } from "../../helpers/docker.ts";

const h = useDockerHarness("kill");
const docker = h.docker;
const kill = createKillContainerTool({ docker });
const inspect = createInspectContainerTool({ docker });
const probe = createHealthProbeTool();

describe.concurrent("kill_container", () => {
  it("brings a hung container (health probe times out, SIGTERM ignored) back to answering", async () => {
    const { name, port, url } = await h.target("hang", { healthcheck: true });
    await fault(port, "hang");

    expect(await probe.execute({ url, timeoutMs: 500 })).toMatchObject({
      ok: false,
      status: null,
      error: "timeout",
    });
    // Still running: a hang is not a crash, which is why it needs kill_container.
    expect((await inspect.execute({ container: name })).state.running).toBe(true);

    const result = await kill.execute({ container: name });
    expect(result.name).toBe(name);
    expect(Date.parse(result.startedAtAfter)).toBeGreaterThan(Date.parse(result.startedAtBefore));
    const healthy = await waitFor(
      async () => {
        const r = await probe.execute({ url, timeoutMs: 500 });
        return r.ok ? r : null;
      },
      { what: "the health URL to answer after the kill" },
    );
    expect(healthy.status).toBe(200);
    const snap = await inspect.execute({ container: name });
    expect(snap.state).toMatchObject({ running: true, oomKilled: false });
  });

  it("with SIGTERM, fails with action_failed when the process ignores it", async () => {
    const { name, port } = await h.target("term");
    await fault(port, "hang");
    const impatient = createKillContainerTool({ docker, stopWaitMs: 1500 });
    const err = await impatient.execute({ container: name, signal: "SIGTERM" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "action_failed" });
    expect((err as Error).message).toContain("SIGKILL");
    expect((await inspect.execute({ container: name })).state.running).toBe(true);
  });

  it("starts a container that had already exited", async () => {
    const { name, port, container } = await h.target("exited");
    await container.stop({ t: 5 });
    await kill.execute({ container: name });
    await waitFor(() => answersHealth(port), { what: "the app to answer after start" });
  });
});
