import { describe, expect, it } from "vitest";
import { apiHeaders, getIncident } from "../helpers/aegis.ts";
import { waitFor } from "../helpers/docker.ts";
import { blockActionPayload, postToSlackEndpoint } from "../helpers/fakeSlack.ts";
import {
  ALICE,
  approvalPolicy,
  MALLORY,
  SIGNING_SECRET,
  useSlackHarness,
  type SlackHarness,
} from "./harness.ts";

const startSlackHarness = useSlackHarness();

const proposals = (harness: SlackHarness) =>
  [...harness.slack.messages.values()].filter((m) => m.text.includes("Earned autonomy"));

/** A bad release of one deployment of the `shop` service, approved by Alice, verified. */
async function approvedRollback(harness: SlackHarness, deployment: string) {
  harness.sim.inject({ family: "crashloop", target: `shop/${deployment}`, variant: "bad_image" });
  harness.sim.advance(30_000);
  const waiting = await harness.alertUntilAwaiting({ namespace: "shop", deployment, service: "shop" });
  expect(waiting.decision?.action).toBe("rollback_deployment");
  await harness.click(waiting.id, ALICE, "approve");
  return harness.waitFinished(waiting.id);
}

describe("earned autonomy in Slack", () => {
  it("proposes auto once the record passes the bar (not before); an approver accepts in one click; the action then runs without waiting", async () => {
    const h = await startSlackHarness(
      approvalPolicy({ autonomy: { earned: { minIncidents: 2, successRate: 0.95 } } }),
    );
    expect((await approvedRollback(h, "checkout")).status).toBe("resolved");
    expect(proposals(h)).toHaveLength(0);
    expect((await approvedRollback(h, "web")).status).toBe("resolved");
    await waitFor(async () => proposals(h).length === 1, { what: "the proposal" });
    const proposal = proposals(h)[0]!;
    expect(proposal.text).toMatch(/`rollback_deployment` on \*shop\* worked 2 of 2 times \(100 %/);

    const click = (user: string) =>
      postToSlackEndpoint(
        h.baseUrl,
        SIGNING_SECRET,
        blockActionPayload({
          userId: user,
          actionId: "aegis_accept_auto",
          value: "shop/rollback_deployment",
          channel: proposal.channel,
          messageTs: proposal.ts,
          responseUrl: h.slack.responseUrl,
        }),
      );
    await click(MALLORY);
    await waitFor(async () => h.slack.callsTo("chat.postEphemeral").some((c) => c.args.user === MALLORY), {
      what: "Mallory's refusal",
    });
    await click(ALICE);
    await waitFor(async () => proposal.text.includes("switched to auto by"), {
      what: "the accepted proposal",
    });

    // The record and the switch are visible to anyone, and reversible.
    const slo = (await (await fetch(`${h.baseUrl}/api/slo`, { headers: apiHeaders(h.baseUrl) })).json()) as {
      actions: Array<{ service: string; action: string; success: number; auto?: { by: string } }>;
    };
    expect(slo.actions.find((a) => a.service === "shop" && a.action === "rollback_deployment")).toMatchObject(
      {
        success: 2,
        auto: { by: expect.stringContaining(ALICE) },
      },
    );

    h.sim.inject({ family: "crashloop", target: "shop/orders-consumer", variant: "bad_image" });
    h.sim.advance(30_000);
    const id = await h.alert({ namespace: "shop", deployment: "orders-consumer", service: "shop" });
    const done = await h.waitFinished(id);
    expect(done.status).toBe("resolved");
    expect(done.timeline.some((e) => e.step === "approval")).toBe(false);
    expect(done.timeline.map((e) => e.message).join("\n")).toMatch(/earned auto \(accepted by/);
    expect((await getIncident(h.baseUrl, id)).actions[0]?.action).toBe("rollback_deployment");
  });
});
