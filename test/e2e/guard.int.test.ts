import { afterEach, describe, expect, it } from "vitest";
import { parsePolicy } from "../../agent/policy/loadPolicy.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import { getIncident, startTestAegis, waitForFinished, type TestAegis } from "../helpers/aegis.ts";
import { fault, testDocker, useDockerHarness, waitFor } from "../helpers/docker.ts";

const h = useDockerHarness("guard");
let t: TestAegis | undefined;

afterEach(async () => {
  await t?.stop();
  t = undefined;
});

/** A target container answering 500s: the evidence says restart_container. */
async function brokenTarget(suffix: string): Promise<{ name: string; port: number }> {
  const { name, port } = await h.target(suffix);
  await fault(port, "5xx");
  return { name, port };
}

const startedAt = async (name: string) => (await testDocker().getContainer(name).inspect()).State.StartedAt;

async function alert(container: string, alertname = "ContainerUnhealthy"): Promise<string> {
  const res = await postAlerts(t!.baseUrl, retargeted({ alertname, container }));
  expect(res.status).toBe(202);
  return (res.body.incidents as Array<{ id: string }>)[0]!.id;
}

describe("guard and modes", () => {
  it("advise mode (the default) recommends the action and never touches the container", async () => {
    t = await startTestAegis({ AEGIS_MODE: "advise" });
    const { name } = await brokenTarget("advise");
    const before = await startedAt(name);

    const incident = await waitForFinished(t.baseUrl, await alert(name));

    expect(incident.status).toBe("advised");
    expect(incident.decision?.action).toBe("restart_container");
    expect(incident.statusReason).toMatch(/recommend restart_container/);
    expect(incident.actions).toHaveLength(0);
    expect(await startedAt(name)).toBe(before);
  });

  it("stops at the per-target hourly cap and escalates instead of acting again", async () => {
    t = await startTestAegis(
      { AEGIS_MODE: "auto" },
      { policy: parsePolicy("caps:\n  actionsPerTargetPerHour: 1\n", "test") },
    );
    const { name, port } = await brokenTarget("cap");

    const first = await waitForFinished(t.baseUrl, await alert(name));
    expect(first.status).toBe("resolved");

    await fault(port, "5xx");
    const afterFirst = await startedAt(name);
    const second = await waitForFinished(t.baseUrl, await alert(name));

    expect(second.id).not.toBe(first.id);
    expect(second.status).toBe("escalated");
    expect(second.statusReason).toMatch(/action_blocked_by_policy: 1 action\(s\) .* \(cap 1\)/);
    expect(second.actions).toHaveLength(0);
    expect(await startedAt(name)).toBe(afterFirst);
  });

  it("refuses an action that is not on the policy's allowlist", async () => {
    t = await startTestAegis(
      { AEGIS_MODE: "auto" },
      { policy: parsePolicy("allowlist: [kill_container, none]\n", "test") },
    );
    const { name } = await brokenTarget("allow");
    const before = await startedAt(name);

    const incident = await waitForFinished(t.baseUrl, await alert(name));

    expect(incident.status).toBe("escalated");
    expect(incident.statusReason).toMatch(/restart_container is not on the allowlist/);
    expect(await startedAt(name)).toBe(before);
  });

  it("alerts arriving together for one target make one incident and one action", async () => {
    t = await startTestAegis({ AEGIS_MODE: "auto" });
    const { name } = await brokenTarget("burst");
    const names = [
      "ContainerUnhealthy",
      "HighErrorRate",
      "HealthCheckFailing",
      "ContainerUnhealthy",
      "SLOBurn",
    ];
    const replies = await Promise.all(
      names.map((n) => postAlerts(t!.baseUrl, retargeted({ alertname: n, container: name }))),
    );
    const ids = new Set(replies.flatMap((r) => (r.body.incidents as Array<{ id: string }>).map((i) => i.id)));
    expect(ids.size).toBe(1);

    const incident = await waitForFinished(t.baseUrl, [...ids][0]!);
    expect(incident.status).toBe("resolved");
    expect(incident.alerts).toHaveLength(names.length);
    expect(incident.actions).toHaveLength(1);
  });

  it("a resolved notification before anything was done dismisses the incident", async () => {
    t = await startTestAegis({ AEGIS_MODE: "advise" });
    await t.aegis.runner.stop(); // hold the agent so the incident is still untouched
    const name = `${h.prefix}-flap`;
    const firing = retargeted({ alertname: "ContainerUnhealthy", container: name });
    const res = await postAlerts(t.baseUrl, firing);
    const id = (res.body.incidents as Array<{ id: string }>)[0]!.id;
    const resolved = {
      ...firing,
      status: "resolved",
      alerts: firing.alerts.map((a) => ({ ...a, status: "resolved", endsAt: new Date().toISOString() })),
    };
    const res2 = await postAlerts(t.baseUrl, resolved);
    expect((res2.body.incidents as Array<{ outcome: string }>)[0]!.outcome).toBe("dismissed");

    const incident = await getIncident(t.baseUrl, id);
    expect(incident.status).toBe("dismissed");
    expect(incident.alerts.map((a) => a.status)).toEqual(["firing", "resolved"]);
  });
});

describe("when the fix does not work", () => {
  it("retries once with back-off, then fails with the verification evidence on the timeline", async () => {
    t = await startTestAegis(
      { AEGIS_MODE: "auto", AEGIS_VERIFY_TIMEOUT_MS: "1500" },
      { policy: parsePolicy("verification:\n  retries: 1\n  backoffSeconds: 0.2\n", "test") },
    );
    // The 5xx comes back after every restart: its cause is not in the process.
    const { name, port } = await h.target("persistent", {
      env: { TARGET_FAULTS: "5xx" },
      waitHealthy: false,
    });
    await waitFor(() => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.ok), { what: "target up" });

    const incident = await waitForFinished(t.baseUrl, await alert(name));

    expect(incident.status).toBe("failed");
    expect(incident.actions.map((a) => [a.action, a.attempt, a.state])).toEqual([
      ["restart_container", 1, "sent"],
      ["restart_container", 2, "sent"],
    ]);
    expect(incident.verification?.healthy).toBe(false);
    expect(incident.verification?.evidence.find((e) => e.check === "health_url")?.detail).toMatch(/500/);
    const messages = incident.timeline.map((e) => `${e.step}: ${e.message}`);
    expect(messages.some((m) => /^verify: retrying restart_container/.test(m))).toBe(true);
    expect(messages.some((m) => /^rollback: no rollback: restart_container has no undo/.test(m))).toBe(true);
    expect(incident.statusReason).toMatch(/not healthy after 2 attempt\(s\)/);
  });
});

describe("approval through the API", () => {
  const approvePolicy = () => parsePolicy("modes:\n  byTier:\n    low: approve\n", "test");

  it("waits for a person; an approval with the API token lets the action run and be verified", async () => {
    t = await startTestAegis({ AEGIS_MODE: "auto", AEGIS_API_TOKEN: "s3cret" }, { policy: approvePolicy() });
    const { name } = await brokenTarget("approve");
    const before = await startedAt(name);
    const id = await alert(name);
    await waitFor(async () => (await getIncident(t!.baseUrl, id)).status === "awaiting_approval", {
      what: "awaiting approval",
    });
    expect(await startedAt(name)).toBe(before);

    const url = `${t.baseUrl}/api/incidents/${id}/approve`;
    expect((await fetch(url, { method: "POST" })).status).toBe(401);
    const wrong = await fetch(url, { method: "POST", headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(url, {
      method: "POST",
      headers: { authorization: "Bearer s3cret", "content-type": "application/json" },
      body: JSON.stringify({ by: "alice" }),
    });
    expect(ok.status).toBe(202);

    const incident = await waitForFinished(t.baseUrl, id);
    expect(incident.status).toBe("resolved");
    expect(incident.timeline.some((e) => e.step === "approve" && e.message === "approved by alice")).toBe(
      true,
    );
    expect(await startedAt(name)).not.toBe(before);
    const again = await fetch(url, { method: "POST", headers: { authorization: "Bearer s3cret" } });
    expect(again.status).toBe(409);
  });

  it("a rejection escalates with who said no, and nothing is touched", async () => {
    t = await startTestAegis({ AEGIS_MODE: "auto", AEGIS_API_TOKEN: "s3cret" }, { policy: approvePolicy() });
    const { name } = await brokenTarget("reject");
    const before = await startedAt(name);
    const id = await alert(name);
    await waitFor(async () => (await getIncident(t!.baseUrl, id)).status === "awaiting_approval", {
      what: "awaiting approval",
    });
    const res = await fetch(`${t.baseUrl}/api/incidents/${id}/reject`, {
      method: "POST",
      headers: { authorization: "Bearer s3cret", "content-type": "application/json" },
      body: JSON.stringify({ by: "bob", comment: "maintenance window" }),
    });
    expect(res.status).toBe(202);
    const incident = await waitForFinished(t.baseUrl, id);
    expect(incident.status).toBe("escalated");
    expect(incident.statusReason).toBe("rejected by bob: maintenance window");
    expect(incident.actions).toHaveLength(0);
    expect(await startedAt(name)).toBe(before);
  });
});
