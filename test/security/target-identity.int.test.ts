import { afterEach, describe, expect, it } from "vitest";
import { parsePolicy } from "../../agent/policy/loadPolicy.ts";
import { isTerminal, type Incident } from "../../core/types.ts";
import { createContainerEventsTool } from "../../tools/docker/containerEvents.ts";
import { postAlerts, retargeted } from "../helpers/alerts.ts";
import { startTestAegis, type TestAegis } from "../helpers/aegis.ts";
import { fault, testDocker, useDockerHarness, waitFor } from "../helpers/docker.ts";

/**
 * Attack: naming one container by its name and by prefixes of its id gave 7 restarts in 8 seconds against a
 * cap of 3 per hour, and 6 concurrent incidents for one container. Caps, the ledger and grouping must be
 * keyed on the container's id, not on the label's text.
 */
const h = useDockerHarness("identity");
const TOKEN = "identity-token";
let t: TestAegis | undefined;

afterEach(async () => {
  await t?.stop();
  t = undefined;
});

async function brokenTarget(suffix: string) {
  const { name, port, container } = await h.target(suffix);
  await fault(port, "5xx");
  return { name, port, id: container.id };
}

const get = async (id: string) =>
  (await (
    await fetch(`${t!.baseUrl}/api/incidents/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })
  ).json()) as Incident;
const finished = (id: string) =>
  waitFor(
    async () => {
      const i = await get(id);
      return isTerminal(i.status) ? i : undefined;
    },
    { what: `incident ${id} to finish`, timeoutMs: 45_000 },
  );
async function alert(container: string): Promise<string> {
  const res = await postAlerts(t!.baseUrl, retargeted({ alertname: "ContainerUnhealthy", container }));
  expect(res.status).toBe(202);
  return (res.body.incidents as Array<{ id: string }>)[0]!.id;
}
async function starts(name: string, sinceIso: string): Promise<number> {
  const { events } = await createContainerEventsTool({ docker: testDocker() }).execute({
    container: name,
    sinceIso,
  });
  return events.filter((e) => e.action === "start").length;
}

describe("one container, many names", () => {
  it("six concurrent alerts naming it by name and id prefixes make one incident and one action", async () => {
    t = await startTestAegis({ AEGIS_MODE: "auto", AEGIS_API_TOKEN: TOKEN, AEGIS_WORKERS: "4" });
    const { name, id } = await brokenTarget("group");
    const since = new Date().toISOString();
    const names = [name, `/${name}`, id, id.slice(0, 12), id.slice(0, 5), id.slice(0, 20)];
    const ids = await Promise.all(names.map((n) => alert(n)));
    const incidents = await Promise.all(ids.map((i) => finished(i)));

    const duplicates = incidents.filter((i) => /^duplicate: /.test(i.statusReason ?? ""));
    const primaries = incidents.filter((i) => !/^duplicate: /.test(i.statusReason ?? ""));
    expect(new Set(primaries.map((i) => i.id)).size).toBe(1);
    expect(primaries[0]!.status).toBe("resolved");
    for (const d of duplicates) expect(d.statusReason).toContain(primaries[0]!.id);
    const sent = incidents.flatMap((i) => i.actions).filter((a) => a.state === "sent");
    expect(new Set(sent.map((a) => a.key)).size).toBe(1);
    expect(await starts(name, since)).toBe(1);
    // Every alert ends up on the incident that acted.
    expect(primaries[0]!.alerts.length).toBe(names.length);
  });

  it("the hourly cap counts the container, whichever name the alert used", async () => {
    t = await startTestAegis(
      { AEGIS_MODE: "auto", AEGIS_API_TOKEN: TOKEN },
      { policy: parsePolicy("caps:\n  actionsPerTargetPerHour: 1\n", "test") },
    );
    const { name, port, id } = await brokenTarget("cap");
    const first = await finished(await alert(name));
    expect(first.status).toBe("resolved");

    await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok), { what: "target back" });
    await fault(port, "5xx");
    const since = new Date().toISOString();
    const second = await finished(await alert(id.slice(0, 12)));
    expect(second.status).toBe("escalated");
    expect(second.statusReason).toBe(
      `action_blocked_by_policy: 1 action(s) on docker:container/${id} in the last hour (cap 1)`,
    );
    expect(second.actions).toEqual([]);
    expect(await starts(name, since)).toBe(0);
  });
});
