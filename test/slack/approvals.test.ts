import { describe, expect, it, onTestFinished } from "vitest";
import { startFakePagerDuty } from "../helpers/fakePagerDuty.ts";
import { getIncident } from "../helpers/aegis.ts";
import { waitFor } from "../helpers/docker.ts";
import { blockActionPayload, postToSlackEndpoint } from "../helpers/fakeSlack.ts";
import {
  ALICE,
  approvalPolicy,
  BOB,
  CAROL,
  MALLORY,
  SIGNING_SECRET,
  useSlackHarness,
  type SlackHarness,
} from "./harness.ts";

const ROUTING_KEY = "R0UT1NGKEY0123456789abcdefABCDEF";
const startSlackHarness = useSlackHarness();

const text = (blocks: unknown) => JSON.stringify(blocks);

/** A crash-looping release on shop/checkout: the planner proposes rollback_deployment (medium risk). */
async function badRelease(harness: SlackHarness) {
  harness.sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
  harness.sim.advance(30_000);
  return harness.alertUntilAwaiting({ namespace: "shop", deployment: "checkout", severity: "critical" });
}

const ephemeralsTo = (harness: SlackHarness, user: string) =>
  harness.slack.callsTo("chat.postEphemeral").filter((c) => c.args.user === user);

describe("approvals in Slack", () => {
  it("posts the request in Block Kit; Alice approves; the action runs, the message is updated and the outcome is threaded", async () => {
    const h = await startSlackHarness(approvalPolicy());
    const waiting = await badRelease(h);
    expect(waiting.decision?.action).toBe("rollback_deployment");

    const msg = h.approvalMessage(waiting.id);
    expect(msg.channel).toBe("C0INCIDENT");
    const blocks = text(msg.blocks);
    for (const part of [
      "What fired",
      "KubeWorkloadUnhealthy",
      "rollback_deployment",
      "medium",
      "Evidence that decided",
      "crash_loop",
      "Blast radius",
      "Undo",
      "aegis_approve",
      "aegis_reject",
    ]) {
      expect(blocks).toContain(part);
    }
    // The request waits: nothing was changed before the click.
    expect((await getIncident(h.baseUrl, waiting.id)).actions).toHaveLength(0);

    expect((await h.click(waiting.id, ALICE, "approve")).status).toBe(200);
    const done = await h.waitFinished(waiting.id);
    expect(done.status).toBe("resolved");
    expect(done.actions[0]?.action).toBe("rollback_deployment");

    // Audit trail: who, when, from where.
    const vote = done.timeline.find((e) => e.step === "approval");
    expect(vote?.data).toMatchObject({
      approved: true,
      userId: ALICE,
      via: "slack",
      counted: true,
      decided: true,
    });
    expect(Date.parse(vote!.at)).toBeGreaterThan(0);

    // Updated in place: the buttons gave way to who approved.
    const updated = h.approvalMessage(waiting.id);
    expect(text(updated.blocks)).toContain("Approved");
    expect(text(updated.blocks)).not.toContain("aegis_reject");
    // The later steps are a thread under it, ending with the outcome (posted just after the status is final).
    const thread = () =>
      [...h.slack.messages.values()].filter((m) => m.threadTs === msg.ts).map((m) => m.text);
    await waitFor(async () => thread().some((t) => /resolved/.test(t)), {
      what: "the outcome in the thread",
    });
    expect(thread()[0]).toMatch(/Approved/);
  });

  it("a second click on an answered request is refused and changes nothing", async () => {
    const h = await startSlackHarness(approvalPolicy());
    const waiting = await badRelease(h);
    await h.click(waiting.id, ALICE, "approve");
    const done = await h.waitFinished(waiting.id);
    expect((await h.click(waiting.id, BOB, "reject")).status).toBe(200);
    await waitFor(async () => ephemeralsTo(h, BOB).length > 0, { what: "Bob's ephemeral answer" });
    expect(String(ephemeralsTo(h, BOB)[0]!.args.text)).toMatch(/already approved by/);
    const after = await getIncident(h.baseUrl, waiting.id);
    expect(after.status).toBe("resolved");
    expect(after.actions).toHaveLength(done.actions.length);
  });

  it("Reject ends the incident escalated with who said no, and nothing is touched", async () => {
    const h = await startSlackHarness(approvalPolicy());
    const waiting = await badRelease(h);
    await h.reject(waiting.id, BOB, "deploy freeze until 18:00");
    const done = await h.waitFinished(waiting.id);
    expect(done.status).toBe("escalated");
    expect(done.statusReason).toBe("rejected by u0bob: deploy freeze until 18:00");
    expect(done.actions).toHaveLength(0);
    await waitFor(async () => text(h.approvalMessage(waiting.id).blocks).includes("Rejected"), {
      what: "the message to say who rejected it",
    });
  });

  it("an unknown user's click is answered ephemerally and counts for nothing", async () => {
    const h = await startSlackHarness(approvalPolicy());
    const waiting = await badRelease(h);
    expect((await h.click(waiting.id, MALLORY, "approve")).status).toBe(200);
    await waitFor(async () => ephemeralsTo(h, MALLORY).length > 0, { what: "Mallory's ephemeral answer" });
    expect(String(ephemeralsTo(h, MALLORY)[0]!.args.text)).toMatch(/not an approver of medium-risk actions/);
    const still = await getIncident(h.baseUrl, waiting.id);
    expect(still.status).toBe("awaiting_approval");
    expect(still.actions).toHaveLength(0);
    expect(still.timeline.find((e) => e.step === "approval")?.data).toMatchObject({
      userId: MALLORY,
      counted: false,
    });
    // The one click that counts still works afterwards.
    await h.click(waiting.id, ALICE, "approve");
    expect((await h.waitFinished(waiting.id)).status).toBe("resolved");
  });

  it("with no approver configured anywhere, a click is refused with how to configure one", async () => {
    const h = await startSlackHarness(approvalPolicy({ approvals: {} }));
    const waiting = await badRelease(h);
    await h.click(waiting.id, ALICE, "approve");
    await waitFor(async () => ephemeralsTo(h, ALICE).length > 0, { what: "the ephemeral answer" });
    expect(String(ephemeralsTo(h, ALICE)[0]!.args.text)).toMatch(/SLACK_APPROVERS/);
    expect((await getIncident(h.baseUrl, waiting.id)).status).toBe("awaiting_approval");
  });

  it("forged, stale and replayed signatures are answered 401 and resume nothing", async () => {
    const h = await startSlackHarness(approvalPolicy());
    const waiting = await badRelease(h);
    const m = h.approvalMessage(waiting.id);
    const body = blockActionPayload({
      userId: ALICE,
      actionId: "aegis_approve",
      value: waiting.id,
      channel: m.channel,
      messageTs: m.ts,
      responseUrl: h.slack.responseUrl,
    });
    expect((await postToSlackEndpoint(h.baseUrl, "not-the-secret", body)).status).toBe(401);
    const sixMinutesAgo = Math.floor(Date.now() / 1000) - 360;
    expect(
      (await postToSlackEndpoint(h.baseUrl, SIGNING_SECRET, body, { timestampSec: sixMinutesAgo })).status,
    ).toBe(401);
    // A valid request captured and sent again inside the window.
    const ts = Math.floor(Date.now() / 1000);
    const first = await postToSlackEndpoint(h.baseUrl, SIGNING_SECRET, "payload=%7B%7D", {
      timestampSec: ts,
    });
    expect(first.status).not.toBe(401);
    expect(
      (await postToSlackEndpoint(h.baseUrl, SIGNING_SECRET, "payload=%7B%7D", { timestampSec: ts })).status,
    ).toBe(401);

    const still = await getIncident(h.baseUrl, waiting.id);
    expect(still.status).toBe("awaiting_approval");
    expect(still.timeline.some((e) => e.step === "approval")).toBe(false);
  });

  it("the highest tier needs two different approvers (one of them through a user group)", async () => {
    const h = await startSlackHarness(approvalPolicy());
    h.sim.inject({ family: "node_not_ready", target: "sim-node-1" });
    h.sim.advance(10_000);
    const waiting = await h.alertUntilAwaiting({ node: "sim-node-1" });
    expect(waiting.decision?.action).toBe("cordon_drain_node");
    expect(text(h.approvalMessage(waiting.id).blocks)).toContain("Needs 2 different approvers");

    await h.click(waiting.id, ALICE, "approve");
    await waitFor(async () => ephemeralsTo(h, ALICE).length > 0, { what: "Alice's ephemeral answer" });
    expect(String(ephemeralsTo(h, ALICE)[0]!.args.text)).toMatch(/1 of 2/);
    await h.click(waiting.id, ALICE, "approve");
    await waitFor(async () => ephemeralsTo(h, ALICE).length > 1, { what: "Alice's second answer" });
    expect(String(ephemeralsTo(h, ALICE)[1]!.args.text)).toMatch(/already approved; 2 different approvers/);
    const half = await getIncident(h.baseUrl, waiting.id);
    expect(half.status).toBe("awaiting_approval");
    expect(text(h.approvalMessage(waiting.id).blocks)).toContain("approved so far: u0alice");

    await h.click(waiting.id, CAROL, "approve"); // Carol is in the on-call user group
    const done = await h.waitFinished(waiting.id);
    expect(done.status).toBe("resolved");
    expect(
      done.timeline.some((e) => e.step === "approve" && e.message === "approved by u0alice and u0carol"),
    ).toBe(true);
  });
});

describe("approval expiry and restarts", () => {
  it("an approval not given in time escalates, the message says so, and a human is paged", async () => {
    const pd = await startFakePagerDuty(ROUTING_KEY);
    onTestFinished(() => pd.close());
    const h = await startSlackHarness(
      approvalPolicy({ approvals: { expiryMinutes: 0.05, byTier: { medium: { users: [ALICE] } } } }),
      { env: { PAGERDUTY_ROUTING_KEY: ROUTING_KEY, PAGERDUTY_EVENTS_URL: pd.eventsUrl } },
    );
    const waiting = await badRelease(h);
    const done = await h.waitFinished(waiting.id);
    expect(done.status).toBe("escalated");
    expect(done.statusReason).toBe("approval expired: nobody approved within 3 seconds");
    expect(done.actions).toHaveLength(0);
    await waitFor(async () => text(h.approvalMessage(waiting.id).blocks).includes("Expired"), {
      what: "the message to say it expired",
    });
    // A click after the expiry is refused.
    await h.click(waiting.id, ALICE, "approve");
    await waitFor(async () => ephemeralsTo(h, ALICE).length > 0, { what: "Alice's ephemeral answer" });
    expect(String(ephemeralsTo(h, ALICE)[0]!.args.text)).toMatch(/already expired/);
    await waitFor(async () => pd.pagedCount() === 1, { what: "the page" });
    expect([...pd.pages.values()][0]!.summary).toMatch(/escalated: .*approval expired/);
  });

  it("a restart while waiting changes nothing: the click after it resumes the right incident", async () => {
    const h = await startSlackHarness(approvalPolicy());
    const waiting = await badRelease(h);
    const posted = h.slack.callsTo("chat.postMessage").length;
    await h.restart();
    // No second request for the same round.
    expect(h.slack.callsTo("chat.postMessage")).toHaveLength(posted);
    expect((await getIncident(h.baseUrl, waiting.id)).status).toBe("awaiting_approval");
    await h.click(waiting.id, ALICE, "approve");
    const done = await h.waitFinished(waiting.id);
    expect(done.status).toBe("resolved");
    expect(done.actions).toHaveLength(1);
  });
});
