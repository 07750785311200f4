import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fault, testDocker, useDockerHarness, waitFor } from "../helpers/docker.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import { startTestAegis, waitForFinished, type TestAegis } from "../helpers/aegis.ts";

// One generic alert name for every case: the evidence, not the name, must pick the action.
const ALERT = "ContainerUnhealthy";
const h = useDockerHarness("core");

let t: TestAegis;

beforeAll(async () => {
  t = await startTestAegis({ AEGIS_MODE: "auto", AEGIS_VERIFY_TIMEOUT_MS: "20000" });
});

afterAll(async () => {
  await t?.stop();
});

async function openIncident(container: string): Promise<string> {
  const res = await postAlerts(t.baseUrl, retargeted({ alertname: ALERT, container }));
  expect(res.status).toBe(202);
  const incidents = res.body.incidents as Array<{ id: string; outcome: string }>;
  expect(incidents[0]?.outcome).toBe("created");
  return incidents[0]!.id;
}

const startedAt = async (name: string) => (await testDocker().getContainer(name).inspect()).State.StartedAt;

describe("core loop on the real Docker engine", () => {
  it("restarts a container whose memory keeps growing, and verifies it healthy", async () => {
    const { name, port } = await h.target("leak", { memoryMb: 1024 });
    const before = await startedAt(name);
    await fault(port, "leak");

    const id = await openIncident(name);
    const incident = await waitForFinished(t.baseUrl, id);

    expect(incident.status).toBe("resolved");
    expect(incident.decision?.action).toBe("restart_container");
    expect(incident.evidence?.signals.map((s) => s.name)).toContain("memory_growth");
    expect(incident.verification?.healthy).toBe(true);
    expect(incident.verification?.evidence.find((e) => e.check === "health_url")?.ok).toBe(true);
    expect(incident.actions).toHaveLength(1);
    expect(incident.mttrMs).toBeGreaterThan(0);
    expect(await startedAt(name)).not.toBe(before);
    // The restart cleared the leak: the app reports no active fault.
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/target_fault\{kind="leak"\} 0/);
    const steps = incident.timeline.map((e) => e.step);
    for (const step of [
      "received",
      "triage",
      "investigate",
      "decide",
      "guard",
      "act",
      "verify",
      "learn",
      "resolved",
    ]) {
      expect(steps).toContain(step);
    }
  });

  it("kills and starts a live container whose health check hangs", async () => {
    const { name, port } = await h.target("hang", { healthcheck: true, waitHealthy: false });
    await waitFor(
      async () => (await testDocker().getContainer(name).inspect()).State.Health?.Status === "healthy",
      {
        what: "healthy",
      },
    );
    await fault(port, "hang");

    const id = await openIncident(name);
    const incident = await waitForFinished(t.baseUrl, id);

    expect(incident.status).toBe("resolved");
    expect(incident.decision?.action).toBe("kill_container");
    expect(incident.evidence?.signals.map((s) => s.name)).toContain("health_timeout");
    expect(incident.verification?.evidence.find((e) => e.check === "docker_healthcheck")?.ok).toBe(true);
    expect(
      (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })).status,
    ).toBe(200);
  });

  it("does not restart a crash loop caused by bad configuration: escalates with the evidence", async () => {
    const { name } = await h.target("config", {
      env: { TARGET_CONFIG_ERROR: "missing required setting DATABASE_URL" },
      restartPolicy: { Name: "always" },
      waitHealthy: false,
    });
    await waitFor(async () => (await testDocker().getContainer(name).inspect()).RestartCount >= 3, {
      what: "crash loop",
      timeoutMs: 20_000,
    });
    const before = await startedAt(name);

    const id = await openIncident(name);
    const incident = await waitForFinished(t.baseUrl, id);

    expect(incident.status).toBe("escalated");
    expect(incident.decision?.action).toBe("none");
    expect(incident.decision?.rationale).toMatch(/configuration/);
    const config = incident.evidence?.signals.find((s) => s.name === "config_error");
    expect(config?.detail).toMatch(/DATABASE_URL/);
    expect(incident.actions).toHaveLength(0);
    expect(incident.statusReason).toMatch(/configuration/);
    // AegisOps sent nothing: any start since is the engine's own restart policy, not an action of ours.
    expect(incident.actedAt).toBeNull();
    expect(before).toBeTruthy();
  });

  it("escalates an alert about a container that does not exist, touching nothing", async () => {
    const id = await openIncident(`${h.prefix}-nonexistent`);
    const incident = await waitForFinished(t.baseUrl, id);
    expect(incident.status).toBe("escalated");
    expect(incident.statusReason).toMatch(/target_not_found/);
    expect(incident.actions).toHaveLength(0);
  });
});

describe("learning", () => {
  it("the next similar incident recalls the verified fix and weighs it in the decision", async () => {
    const decisions = [];
    for (const suffix of ["learn-a", "learn-b"]) {
      const { name, port } = await h.target(suffix);
      await fault(port, "5xx");
      const incident = await waitForFinished(t.baseUrl, await openIncident(name));
      expect(incident.status).toBe("resolved");
      decisions.push(incident);
    }
    const [first, second] = decisions;
    expect(
      second!.timeline.some((e) => e.step === "recall" && /restart_container: \d+ verified/.test(e.message)),
    ).toBe(true);
    expect(second!.decision?.contributions.past_fixes).toBeGreaterThan(0);
    expect(second!.decision!.confidence).toBeGreaterThanOrEqual(first!.decision!.confidence);
  });
});
