import { describe, expect, it } from "vitest";
import { hasCode } from "../../../core/errors.ts";
import { createContainerEventsTool } from "../../../tools/docker/containerEvents.ts";
import { createRestartContainerTool } from "../../../tools/docker/restartContainer.ts";
import { answersHealth, fault, useDockerHarness, waitFor } from "../../helpers/docker.ts";

const h = useDockerHarness("restart");
const prefix = h.prefix;
const docker = h.docker;
const restart = createRestartContainerTool({ docker });
const events = createContainerEventsTool({ docker });

async function metrics(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) });
  return res.text();
}

describe.concurrent("restart_container", () => {
  it("restarts a leaking container: new start time, answering again, leak gone, one start event", async () => {
    const { name, port } = await h.target("leak");
    await fault(port, "leak");
    expect(await metrics(port)).toContain('target_fault{kind="leak"} 1');

    const sentAt = new Date().toISOString();
    const result = await restart.execute({ container: name, timeoutSeconds: 5 });
    expect(result.restarted).toBe(true);
    expect(result.name).toBe(name);
    expect(Date.parse(result.startedAtAfter)).toBeGreaterThan(Date.parse(result.startedAtBefore));

    await waitFor(() => answersHealth(port), { what: "the app to answer after the restart" });
    expect(await metrics(port)).toContain('target_fault{kind="leak"} 0');

    const { events: seen } = await events.execute({ container: name, sinceIso: sentAt });
    expect(seen.filter((e) => e.action === "start")).toHaveLength(1);
    // The app handles SIGTERM and exits 0 at once: the engine never had to escalate to SIGKILL.
    expect(seen.find((e) => e.action === "die")?.exitCode).toBe(0);
    expect(seen.filter((e) => e.action === "kill").map((e) => e.signal)).toEqual(["15"]);
    expect(seen.map((e) => e.action)).toContain("restart");
  });

  it("throws target_not_found for an unknown container and restarts nothing", async () => {
    const err = await restart.execute({ container: `${prefix}-missing` }).catch((e: unknown) => e);
    expect(hasCode(err, "target_not_found")).toBe(true);
  });
});
