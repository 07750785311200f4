import { describe, expect, it } from "vitest";
import type { Incident } from "../../../core/types.ts";
import { apiHeaders, getIncident } from "../../helpers/aegis.ts";
import { look, useKubeHarness } from "./harness.ts";

const h = useKubeHarness();

async function askUndo(id: string, headers = apiHeaders(h.aegis.baseUrl)) {
  const res = await fetch(`${h.aegis.baseUrl}/api/incidents/${id}/undo`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ by: "alice" }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const image = () => look(h.sim()).deployment("checkout").spec?.template.spec?.containers[0]?.image;
const undoLines = (i: Incident) => i.timeline.filter((e) => e.step === "undo").map((e) => e.message);

describe("a person undoes what the agent did, on the simulator", () => {
  it("a rollback the agent verified is rolled forward to the release it left when a person asks, once", async () => {
    const good = image();
    h.sim().inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    h.advance(30_000);
    const bad = image();
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });
    expect(incident.decision?.action).toBe("rollback_deployment");
    expect(incident.status).toBe("resolved");
    expect(image()).toBe(good);

    // Without the API token nothing happens.
    expect((await askUndo(incident.id, {})).status).toBe(401);
    expect(image()).toBe(good);

    const undone = await askUndo(incident.id);
    expect(undone).toMatchObject({
      status: 200,
      body: { id: incident.id, action: "rollback_deployment", undone: true },
    });
    expect(String(undone.body.detail)).toMatch(/rolled forward to the release it left \(revision 2\b/);
    expect(image()).toBe(bad);
    const after = await getIncident(h.aegis.baseUrl, incident.id);
    expect(undoLines(after)).toEqual([
      "alice asked to undo rollback_deployment",
      expect.stringMatching(/^undone: rolled forward/),
    ]);

    // Asked again: refused, and the cluster is left as it is.
    expect(await askUndo(incident.id)).toMatchObject({ status: 409, body: { error: "already_undone" } });
    expect(image()).toBe(bad);
  });

  it("look-alike: an incident that sent nothing has nothing to undo (409), and an unknown one is 404", async () => {
    h.sim().inject({ family: "crashloop", target: "shop/web", variant: "missing_secret" });
    h.advance(30_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "web" });
    expect(incident.status).toBe("escalated");
    expect(incident.actions.filter((a) => a.state === "sent")).toEqual([]);
    expect(await askUndo(incident.id)).toMatchObject({ status: 409, body: { error: "nothing_sent" } });
    expect((await askUndo("no-such-incident")).status).toBe(404);
  });
});
