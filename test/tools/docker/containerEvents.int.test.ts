import { describe, expect, it } from "vitest";
import { createContainerEventsTool } from "../../../tools/docker/containerEvents.ts";
import { fault, useDockerHarness, waitFor } from "../../helpers/docker.ts";

const h = useDockerHarness("events");
const prefix = h.prefix;
const docker = h.docker;
const events = createContainerEventsTool({ docker });

describe.concurrent("docker_container_events", () => {
  it("sees the engine restart a crashing container: die 78 then start, each restart once", async () => {
    const since = new Date().toISOString();
    const { name } = await h.target("crash", {
      waitHealthy: false,
      env: { TARGET_CONFIG_ERROR: "bad" },
      restartPolicy: { Name: "on-failure", MaximumRetryCount: 2 },
    });
    // Two retries after the first run: three starts, three deaths, then the engine gives up.
    const seen = await waitFor(
      async () => {
        const { events: evs } = await events.execute({ container: name, sinceIso: since });
        return evs.filter((e) => e.action === "die").length === 3 ? evs : null;
      },
      { what: "three die events" },
    );
    const lifecycle = seen.filter((e) => e.action === "start" || e.action === "die");
    expect(lifecycle.map((e) => e.action)).toEqual(["start", "die", "start", "die", "start", "die"]);
    expect(lifecycle.filter((e) => e.action === "die").map((e) => e.exitCode)).toEqual([78, 78, 78]);
    expect(seen.every((e, i) => i === 0 || e.time >= seen[i - 1]!.time)).toBe(true);

    const later = new Date(Date.parse(seen.at(-1)!.time) + 1).toISOString();
    expect((await events.execute({ container: name, sinceIso: later })).events).toEqual([]);
  });

  it("reports health_status changes and leaves out the health checks' exec events", async () => {
    const since = new Date().toISOString();
    const { name, port } = await h.target("health", { waitHealthy: false, healthcheck: true });
    const healthy = async () => (await events.execute({ container: name, sinceIso: since })).events;
    await waitFor(async () => (await healthy()).some((e) => e.action === "health_status: healthy"), {
      what: "a healthy event",
    });
    await fault(port, "5xx");
    const seen = await waitFor(
      async () => {
        const { events: evs } = await events.execute({ container: name, sinceIso: since });
        return evs.some((e) => e.action === "health_status: unhealthy") ? evs : null;
      },
      { what: "an unhealthy event" },
    );
    expect(seen.some((e) => e.action.startsWith("exec_"))).toBe(false);
    const health = seen.filter((e) => e.action.startsWith("health_status"));
    expect(health.at(0)?.action).toBe("health_status: healthy");
    expect(health.at(-1)?.action).toBe("health_status: unhealthy");
  });

  it("keeps apart a container and another whose name it prefixes (a clone)", async () => {
    const name = `${prefix}-web`;
    const since = new Date().toISOString();
    const { container: clone } = await h.target("web-r2", { waitHealthy: false });
    await clone.kill();
    const seen = await events.execute({ container: name, sinceIso: since });
    expect(seen.events).toEqual([]);
    const cloneEvents = await events.execute({ container: `${name}-r2`, sinceIso: since });
    expect(cloneEvents.events.map((e) => e.action)).toEqual(["create", "start", "kill", "die"]);
  });

  it("returns at once for a window in the future or an unknown container", async () => {
    const started = Date.now();
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await events.execute({ container: `${prefix}-x`, sinceIso: future })).events).toEqual([]);
    const past = new Date(Date.now() - 5_000).toISOString();
    expect((await events.execute({ container: `${prefix}-missing`, sinceIso: past })).events).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
