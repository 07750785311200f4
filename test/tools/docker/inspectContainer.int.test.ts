import { describe, expect, it } from "vitest";
import { hasCode } from "../../../core/errors.ts";
import { createContainerLogsTool } from "../../../tools/docker/containerLogs.ts";
import { createInspectContainerTool, inspectSnapshot } from "../../../tools/docker/inspectContainer.ts";
import { fault, useDockerHarness, waitFor } from "../../helpers/docker.ts";

const h = useDockerHarness("inspect");
const prefix = h.prefix;
const docker = h.docker;
const inspect = createInspectContainerTool({ docker });
const logs = createContainerLogsTool({ docker });

describe.concurrent("docker_inspect_container", () => {
  it("shows a configuration crash loop: exit 78, restarts, and the FATAL line on stderr", async () => {
    const { name } = await h.target("crashloop", {
      waitHealthy: false,
      env: { TARGET_CONFIG_ERROR: "missing required setting DATABASE_URL" },
      restartPolicy: { Name: "on-failure" },
    });
    const snap = await waitFor(
      async () => {
        const s = await inspect.execute({ container: name });
        return s.restartCount >= 1 && s.state.exitCode === 78 ? s : null;
      },
      { what: "a restart after exit 78" },
    );
    expect(snap.name).toBe(name);
    expect(snap.restartPolicy).toBe("on-failure");
    expect(snap.state.oomKilled).toBe(false);

    // Logs outlive restarts: one FATAL line per attempt, all on stderr, and none got as far as listening.
    const isFatal = (text: string) =>
      text.includes("FATAL configuration error: missing required setting DATABASE_URL");
    const lines = await waitFor(
      async () => {
        const out = (await logs.execute({ container: name })).lines;
        return out.filter((l) => isFatal(l.text)).length >= 2 ? out : null;
      },
      { what: "a FATAL line from two attempts" },
    );
    const fatal = lines.filter((l) => isFatal(l.text));
    expect(fatal.every((l) => l.stream === "stderr")).toBe(true);
    expect(lines.some((l) => l.text.includes("listening on"))).toBe(false);
  });

  it("reports labels, limits, network mode, healthy status, and env values only of allowlisted names", async () => {
    const { name, port } = await h.target("healthy", {
      memoryMb: 256,
      healthcheck: true,
      env: {
        API_TOKEN: "t0ken",
        DB_PASSWORD: "hunter2",
        AWS_SECRET_ACCESS_KEY: "x",
        LOG_LEVEL: "debug",
        LEGACY_SETTING: "q7Vt3Lm9XrB2",
      },
      waitHealthy: false,
    });
    const snap = await waitFor(
      async () => {
        const s = await inspectSnapshot(docker, name, ["PORT", "LOG_LEVEL"]);
        return s.health?.status === "healthy" ? s : null;
      },
      { what: "healthy" },
    );
    expect(snap.state).toMatchObject({ status: "running", running: true, exitCode: 0 });
    expect(snap.image).toBe("aegis-target:dev");
    expect(snap.id).toMatch(/^[0-9a-f]{64}$/);
    expect(snap.memoryLimitBytes).toBe(256 * 1024 * 1024);
    expect(snap.networkMode).toBe("host");
    expect(snap.labels["aegis.health-url"]).toBe(`http://127.0.0.1:${port}/health`);
    expect(snap.env).toMatchObject({
      PORT: String(port),
      LOG_LEVEL: "debug",
      API_TOKEN: "[withheld]",
      DB_PASSWORD: "[withheld]",
      AWS_SECRET_ACCESS_KEY: "[withheld]",
      // No secret-looking name: only the allowlist keeps its value out.
      LEGACY_SETTING: "[withheld]",
    });
    expect(JSON.stringify(snap)).not.toContain("hunter2");
    expect(JSON.stringify(snap)).not.toContain("q7Vt3Lm9XrB2");
    expect(snap.health?.log.at(-1)?.exitCode).toBe(0);
    expect(Date.parse(snap.createdAt)).toBeLessThanOrEqual(Date.now());
  });

  it("turns unhealthy when the app answers 500, with the failing checks in the health log", async () => {
    const { name, port } = await h.target("5xx", { healthcheck: true, waitHealthy: false });
    await waitFor(async () => (await inspectSnapshot(docker, name)).health?.status === "healthy", {
      what: "healthy",
    });
    await fault(port, "5xx");
    const snap = await waitFor(
      async () => {
        const s = await inspectSnapshot(docker, name);
        return s.health?.status === "unhealthy" ? s : null;
      },
      { what: "unhealthy" },
    );
    expect(snap.health?.failingStreak).toBeGreaterThanOrEqual(2);
    const last = snap.health?.log.at(-1);
    expect(last?.exitCode).not.toBe(0);
    expect(last?.output).toContain("500");
    expect(snap.health?.log.length).toBeLessThanOrEqual(5);

    const { lines } = await logs.execute({ container: name, tail: 20 });
    expect(lines).toContainEqual({
      stream: "stderr",
      text: expect.stringContaining("ERROR upstream call failed: 500"),
    });
  });

  it("throws target_not_found for an unknown container", async () => {
    const err = await inspect.execute({ container: `${prefix}-does-not-exist` }).catch((e: unknown) => e);
    expect(hasCode(err, "target_not_found")).toBe(true);
    expect((err as Error).message).toContain("does-not-exist");
  });
});
