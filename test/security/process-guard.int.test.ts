import { describe, expect, it } from "vitest";
import type { Incident } from "../../core/types.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import { fault, useDockerHarness, waitFor } from "../helpers/docker.ts";
import { useServeProcesses } from "../helpers/useServeProcesses.ts";

/**
 * Attack: an error nobody handles (an `error` event on a request the HTTP layer made on its own) killed the
 * process; the incident stayed open, so every restart resumed it and died again.
 */
const h = useDockerHarness("guard-proc");
const processes = useServeProcesses();
const TOKEN = "security-test-token";

async function brokenTarget(suffix: string): Promise<string> {
  const { name, port } = await h.target(suffix);
  await fault(port, "5xx");
  return name;
}

async function setup(suffix: string) {
  const fresh = await processes.freshEnv("aegis-guard");
  const env = { ...fresh.env, AEGIS_MODE: "auto", AEGIS_API_TOKEN: TOKEN };
  return { env, base: fresh.url, container: await brokenTarget(suffix) };
}

const incidentOf = async (base: string, id: string): Promise<Incident> => {
  const res = await fetch(`${base}/api/incidents/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return (await res.json()) as Incident;
};

async function alert(base: string, container: string): Promise<string> {
  const res = await postAlerts(base, retargeted({ alertname: "ContainerUnhealthy", container }));
  expect(res.status).toBe(202);
  return (res.body.incidents as Array<{ id: string }>)[0]!.id;
}

describe("process guard", () => {
  it("an error event nobody listens to escalates the incident it arose in; the server keeps running", async () => {
    const { env, base, container } = await setup("stray");
    const proc = await processes.serve({ ...env, AEGIS_TEST_CRASH_AT: "stray_error" });
    const id = await alert(base, container);

    const incident = await waitFor(
      async () => {
        const i = await incidentOf(base, id);
        return i.status === "escalated" ? i : undefined;
      },
      { what: "the incident to be escalated", timeoutMs: 30_000 },
    );
    expect(incident.statusReason).toMatch(/internal error: .*stray error event/);
    expect(proc.child.exitCode).toBeNull();
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(proc.stderr()).toMatch(/uncaught exception in the run of incident/);
  });
});

describe("quarantine", () => {
  it("an incident whose runs killed the process twice is quarantined on the next start, not run again", async () => {
    const { env, base, container } = await setup("quarantine");
    const crashing = { ...env, AEGIS_TEST_CRASH_AT: "before_action" };
    const first = await processes.serve(crashing);
    const id = await alert(base, container);
    expect(await first.exited).toBe("SIGKILL");

    // The restart resumes the incident, which kills the process again.
    const second = await processes.serve(crashing);
    expect(await second.exited).toBe("SIGKILL");

    const third = await processes.serve(crashing);
    const incident = await waitFor(
      async () => {
        const i = await incidentOf(base, id);
        return i.status === "quarantined" ? i : undefined;
      },
      { what: "the incident to be quarantined", timeoutMs: 30_000 },
    );
    expect(incident.statusReason).toMatch(/^quarantined: 2 earlier runs/);
    expect(third.child.exitCode).toBeNull();
    expect(incident.actions.every((a) => a.state === "pending")).toBe(true);
  });
});
