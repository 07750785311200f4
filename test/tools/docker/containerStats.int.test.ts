import { describe, expect, it } from "vitest";
import { createContainerEventsTool } from "../../../tools/docker/containerEvents.ts";
import { createContainerStatsTool } from "../../../tools/docker/containerStats.ts";
import { inspectSnapshot } from "../../../tools/docker/inspectContainer.ts";
import { answersHealth, fault, useDockerHarness, waitFor } from "../../helpers/docker.ts";

const h = useDockerHarness("stats");
const docker = h.docker;
const stats = createContainerStatsTool({ docker });
const events = createContainerEventsTool({ docker });

describe.concurrent("docker_container_stats", () => {
  it("shows memory growing while the app leaks", async () => {
    const { name, port } = await h.target("leak", { memoryMb: 1024 });
    await fault(port, "leak");
    const result = await stats.execute({ container: name, samples: 3, intervalMs: 300 });
    expect(result.samples).toHaveLength(3);
    // 8 MiB every 100 ms: tens of MB per second, far above any noise.
    expect(result.memoryGrowthBytesPerSec).toBeGreaterThan(10 * 1024 * 1024);
    const last = result.samples.at(-1)!;
    expect(last.memoryLimitBytes).toBe(1024 * 1024 * 1024);
    expect(last.memoryUsageBytes).toBeGreaterThan(result.samples[0]!.memoryUsageBytes);
    expect(result.memoryUtilisation).toBeGreaterThan(0);
    expect(result.memoryUtilisation).toBeLessThan(1);
    // The first one-shot reading has no earlier CPU reading to compare with; later ones do.
    expect(result.samples[0]!.cpuPercent).toBeNull();
    expect(result.samples[2]!.cpuPercent).toBeGreaterThanOrEqual(0);
  });

  it("ends a leak under a 128 MB limit in an OOM kill (exit 137) that inspect and events both show", async () => {
    const since = new Date().toISOString();
    const { name, port } = await h.target("oom", { memoryMb: 128 });
    await fault(port, "leak");
    const snap = await waitFor(
      async () => {
        const s = await inspectSnapshot(docker, name);
        return s.state.running ? null : s;
      },
      { what: "the OOM kill" },
    );
    expect(snap.state).toMatchObject({ oomKilled: true, exitCode: 137, status: "exited" });
    expect(snap.memoryLimitBytes).toBe(128 * 1024 * 1024);

    const { events: seen } = await events.execute({ container: name, sinceIso: since });
    const actions = seen.map((e) => e.action);
    expect(actions).toContain("oom");
    expect(seen.find((e) => e.action === "die")?.exitCode).toBe(137);
    expect(actions.indexOf("start")).toBeLessThan(actions.indexOf("die"));
  });

  it("reports zero usage for a stopped container, without a utilisation", async () => {
    const { name, port, container } = await h.target("stopped", { waitHealthy: false });
    // Until node has installed its SIGTERM handler, PID 1 ignores SIGTERM and stop would wait out t.
    await waitFor(() => answersHealth(port), { what: "the app to answer" });
    await container.stop({ t: 5 });
    const result = await stats.execute({ container: name, samples: 2, intervalMs: 50 });
    expect(result.samples.map((s) => s.memoryUsageBytes)).toEqual([0, 0]);
    expect(result.memoryGrowthBytesPerSec).toBe(0);
    expect(result.memoryUtilisation).toBeNull();
  });
});
