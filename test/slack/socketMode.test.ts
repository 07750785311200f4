import { describe, expect, it } from "vitest";
import { waitFor } from "../helpers/docker.ts";
import { blockAction } from "../helpers/fakeSlack.ts";
import { ALICE, approvalPolicy, useSlackHarness } from "./harness.ts";

const startSlackHarness = useSlackHarness();

describe("Socket Mode (SLACK_APP_TOKEN)", () => {
  it("connects out with the app token, takes a click from the socket, acknowledges it, and resumes the incident", async () => {
    const h = await startSlackHarness(approvalPolicy(), { socketMode: true });
    await h.slack.connected();
    // The connection was opened with the app-level token, not the bot token.
    expect(h.slack.callsTo("apps.connections.open")[0]?.token).toMatch(/^xapp-/);
    // No HTTP endpoint in Socket Mode.
    expect((await fetch(`${h.baseUrl}/slack/events`, { method: "POST" })).status).toBe(404);

    h.sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    h.sim.advance(30_000);
    const waiting = await h.alertUntilAwaiting({ namespace: "shop", deployment: "checkout" });
    const msg = h.approvalMessage(waiting.id);
    const envelope = await h.slack.pushEnvelope(
      "interactive",
      blockAction({
        userId: ALICE,
        actionId: "aegis_approve",
        value: waiting.id,
        channel: msg.channel,
        messageTs: msg.ts,
        responseUrl: h.slack.responseUrl,
      }),
    );
    await waitFor(async () => h.slack.acks.has(envelope), { what: "the envelope's ack" });
    const done = await h.waitFinished(waiting.id);
    expect(done.status).toBe("resolved");
    expect(done.timeline.find((e) => e.step === "approval")?.data).toMatchObject({
      userId: ALICE,
      via: "slack",
    });
  });
});
