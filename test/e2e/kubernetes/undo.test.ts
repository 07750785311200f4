import { describe, expect, it } from "vitest";
import type { Incident } from "../../../core/types.ts";
import { apiHeaders, getIncident } from "../../helpers/aegis.ts";
import { look, useKubeHarness } from "./harness.ts";
import { imageOf, restartRollout, rollBackCheckout, undoRecords } from "./undoHelpers.ts";

const h = useKubeHarness();

async function askUndo(id: string, headers = apiHeaders(h.aegis.baseUrl), extra: object = {}) {
  const res = await fetch(`${h.aegis.baseUrl}/api/incidents/${id}/undo`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ by: "alice", ...extra }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const image = () => imageOf(h.sim(), "checkout");
/** The value of `aegis_undo_total{labels}` on the running AegisOps' /metrics (0 when the series is absent). */
async function undoTotal(labels: string): Promise<number> {
  const text = await (await fetch(`${h.aegis.baseUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`aegis_undo_total{${labels}} `));
  return line === undefined ? 0 : Number(line.split(" ").pop());
}
const undoLines = (i: Incident) => i.timeline.filter((e) => e.step === "undo").map((e) => e.message);
const rolledBackCheckout = () => rollBackCheckout(h);
const rolloutRestart = (name: string) =>
  restartRollout(h.sim(), name, h.sim().tokenFor("aegisops", "aegisops"));

/** A second incident, alerted on the checkout Deployment itself (5xx), that sends an action on it. */
async function newerActionOnCheckout(): Promise<Incident> {
  h.sim().inject({ family: "http_5xx", target: "shop/checkout" });
  h.advance(40_000);
  const second = await h.alertAndWait({ namespace: "shop", deployment: "checkout" });
  expect(second.actions.filter((a) => a.state === "sent")).not.toEqual([]);
  return second;
}

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
    const sent = 'action="rollback_deployment",result="sent",via="api"';
    const refused = 'action="rollback_deployment",result="refused",via="api"';
    const [sentBefore, refusedBefore] = [await undoTotal(sent), await undoTotal(refused)];

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
    // /metrics counts the undo sent and the refusal (the 401 never reached the undo).
    expect(await undoTotal(sent)).toBe(sentBefore + 1);
    expect(await undoTotal(refused)).toBe(refusedBefore + 1);
  });

  it("a double click (two requests at once) sends one undo: one ledger record with who asked, the other refused", async () => {
    const { incident, bad } = await rolledBackCheckout();
    const answers = await Promise.all([askUndo(incident.id), askUndo(incident.id)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(answers.find((a) => a.status === 409)?.body.error).toBe("already_undone");
    expect(image()).toBe(bad);
    const after = await getIncident(h.aegis.baseUrl, incident.id);
    const undos = undoRecords(after);
    expect(undos).toHaveLength(1);
    expect(undos[0]).toMatchObject({
      key: `${incident.actions[0]!.key}:undo:1`,
      action: "rollback_deployment",
      state: "sent",
      params: { undoOf: incident.actions[0]!.key, by: "alice", via: "api" },
      result: { undone: true },
    });
  });

  it("refused while a newer rollout than the rollback's runs (someone rolled out since); with confirm it runs", async () => {
    const { incident, good, bad } = await rolledBackCheckout();
    await rolloutRestart("checkout");
    const refused = await askUndo(incident.id);
    expect(refused).toMatchObject({ status: 409, body: { error: "changed_since", confirmable: true } });
    expect(String(refused.body.message)).toMatch(
      /deployment shop\/checkout was rolled out again after the rollback: it runs revision \d+ .*the undo would replace that newer rollout/,
    );
    expect(image()).toBe(good);
    const after = await getIncident(h.aegis.baseUrl, incident.id);
    expect(undoRecords(after)).toEqual([]);

    const confirmed = await askUndo(incident.id, undefined, { confirm: true });
    expect(confirmed).toMatchObject({ status: 200, body: { undone: true } });
    expect(image()).toBe(bad);
    const recorded = undoRecords(await getIncident(h.aegis.baseUrl, incident.id));
    expect(recorded[0]?.params).toMatchObject({ by: "alice", confirmedOver: ["changed_since"] });
  });

  it("refused when a newer incident acted on the same deployment since: it names that incident", async () => {
    const { incident: first } = await rolledBackCheckout();
    const second = await newerActionOnCheckout();
    const before = image();
    const refused = await askUndo(first.id);
    expect(refused).toMatchObject({ status: 409, body: { error: "newer_action", confirmable: true } });
    expect(String(refused.body.message)).toContain(`incident ${second.id} sent ${second.decision?.action}`);
    expect(String(refused.body.message)).toContain("would revert that incident's change too");
    expect(image()).toBe(before);
  });

  it("a rollback taken for one pod's alert and a later action taken for its Deployment's alert are one object: newer_action", async () => {
    h.sim().inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    h.advance(60_000);
    const failing = look(h.sim())
      .pods("checkout")
      .find((p) => p.status?.containerStatuses?.some((c) => (c.restartCount ?? 0) > 0 || c.state?.waiting))!;
    const first = await h.alertAndWait({ namespace: "shop", pod: failing.metadata.name });
    expect(first.decision?.action).toBe("rollback_deployment");
    expect(first.status).toBe("resolved");
    const second = await newerActionOnCheckout();
    const before = image();
    const refused = await askUndo(first.id);
    expect(refused).toMatchObject({ status: 409, body: { error: "newer_action", confirmable: true } });
    expect(String(refused.body.message)).toContain(`incident ${second.id} sent ${second.decision?.action}`);
    expect(image()).toBe(before);
  });

  it("raise_hpa_limits: refused while the HPA was changed since; left as the person set it", async () => {
    h.sim().inject({ family: "traffic_spike", target: "shop/web" });
    h.advance(120_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "web" });
    expect(incident.decision?.action).toBe("raise_hpa_limits");
    const result = incident.actions[0]!.result as { hpa: string; maxReplicas: number; previousMax: number };
    // A person raises the HPA further by hand (kubectl patch hpa).
    const sim = h.sim();
    const res = await fetch(
      `${sim.url}/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/${result.hpa}`,
      {
        method: "PATCH",
        headers: {
          authorization: `Bearer ${sim.tokenFor("aegisops", "aegisops")}`,
          "content-type": "application/merge-patch+json",
        },
        body: JSON.stringify({ spec: { maxReplicas: result.maxReplicas + 5 } }),
      },
    );
    expect(res.status).toBe(200);
    const refused = await askUndo(incident.id);
    expect(refused).toMatchObject({ status: 409, body: { error: "changed_since", confirmable: true } });
    expect(String(refused.body.message)).toContain(
      `HPA shop/${result.hpa} now allows at most ${result.maxReplicas + 5} replicas, not the ${result.maxReplicas} raise_hpa_limits set`,
    );
    const hpa = (await (
      await fetch(`${sim.url}/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/${result.hpa}`, {
        headers: { authorization: `Bearer ${sim.tokenFor("aegisops", "aegisops")}` },
      })
    ).json()) as { spec: { maxReplicas: number } };
    expect(hpa.spec.maxReplicas).toBe(result.maxReplicas + 5);
  });

  it("look-alike: an incident that sent nothing has nothing to undo (409), and an unknown one is 404", async () => {
    h.sim().inject({ family: "crashloop", target: "shop/web", variant: "missing_secret" });
    h.advance(30_000);
    const incident = await h.alertAndWait({ namespace: "shop", deployment: "web" });
    expect(incident.status).toBe("escalated");
    expect(incident.actions.filter((a) => a.state === "sent")).toEqual([]);
    const none = 'action="none",result="refused",via="api"';
    const before = await undoTotal(none);
    expect(await askUndo(incident.id)).toMatchObject({ status: 409, body: { error: "nothing_sent" } });
    expect((await askUndo("no-such-incident")).status).toBe(404);
    expect(await undoTotal(none)).toBe(before + 2);
  });
});
