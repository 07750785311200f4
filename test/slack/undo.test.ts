import { describe, expect, it } from "vitest";
import { imageOf, restartRollout, undoRecords } from "../e2e/kubernetes/undoHelpers.ts";
import { apiHeaders, getIncident } from "../helpers/aegis.ts";
import { waitFor } from "../helpers/docker.ts";
import { blockAction, postToSlackEndpoint, type FakeMessage } from "../helpers/fakeSlack.ts";
import {
  ALICE,
  approvalPolicy,
  MALLORY,
  SIGNING_SECRET,
  useSlackHarness,
  type SlackHarness,
} from "./harness.ts";

const startSlackHarness = useSlackHarness();

const text = (blocks: unknown) => JSON.stringify(blocks);
const image = (harness: SlackHarness) => imageOf(harness.sim, "checkout");
const ephemeralsTo = (harness: SlackHarness, user: string) =>
  harness.slack.callsTo("chat.postEphemeral").filter((c) => c.args.user === user);

/** The outcome message of an incident (posted in its approval request's thread), as the channel holds it now. */
function outcomeMessage(harness: SlackHarness, id: string): FakeMessage {
  const request = harness.approvalMessage(id);
  const found = [...harness.slack.messages.values()].find(
    (x) => x.threadTs === request.ts && /resolved/.test(x.text),
  );
  if (!found) throw new Error(`no outcome message for ${id}`);
  return found;
}

let clicks = 0;
/** Click a button of a message as a Slack user, signed as Slack signs it (each click its own action_ts, as Slack's). */
async function click(harness: SlackHarness, m: FakeMessage, userId: string, actionId: string, value: string) {
  const payload = blockAction({
    userId,
    actionId,
    value,
    channel: m.channel,
    messageTs: m.ts,
    responseUrl: harness.slack.responseUrl,
  }) as { actions: Array<{ action_ts: string }> };
  payload.actions[0]!.action_ts = `${Math.floor(Date.now() / 1000)}.${String(++clicks).padStart(6, "0")}`;
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return postToSlackEndpoint(harness.baseUrl, SIGNING_SECRET, body);
}

/** A bad release on shop/checkout, rolled back after Alice approved: the outcome offers Undo. */
async function rolledBack(harness: SlackHarness) {
  const good = image(harness);
  harness.sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
  harness.sim.advance(30_000);
  const bad = image(harness);
  const waiting = await harness.alertUntilAwaiting({ namespace: "shop", deployment: "checkout" });
  expect(waiting.decision?.action).toBe("rollback_deployment");
  await harness.click(waiting.id, ALICE, "approve");
  const done = await harness.waitFinished(waiting.id);
  expect(done.status).toBe("resolved");
  expect(image(harness)).toBe(good);
  const outcome = await waitFor(async () => outcomeMessage(harness, waiting.id), {
    what: "the outcome message with its Undo button",
  });
  return { id: waiting.id, good, bad, outcome };
}

describe("undo in Slack", () => {
  it("the outcome offers Undo; a non-approver is refused; an approver's click rolls forward once and the message shows it", async () => {
    const h = await startSlackHarness(approvalPolicy());
    const { id, good, bad, outcome } = await rolledBack(h);
    expect(text(outcome.blocks)).toContain("Undo rollback_deployment");

    // Mallory may not approve medium-risk actions, so she may not undo one either.
    expect((await click(h, outcome, MALLORY, "aegis_undo", id)).status).toBe(200);
    await waitFor(async () => ephemeralsTo(h, MALLORY).length > 0, { what: "Mallory's ephemeral answer" });
    expect(String(ephemeralsTo(h, MALLORY)[0]!.args.text)).toMatch(
      /Not undone: only approvers of medium-risk actions (on \S+ )?may undo rollback_deployment/,
    );
    expect(image(h)).toBe(good);
    expect(undoRecords(await getIncident(h.baseUrl, id))).toEqual([]);

    // Alice clicks twice (a double click): one undo is sent, recorded in the ledger with who asked.
    const answers = await Promise.all([
      click(h, outcome, ALICE, "aegis_undo", id),
      click(h, outcome, ALICE, "aegis_undo", id),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    const after = await waitFor(
      async () => {
        const i = await getIncident(h.baseUrl, id);
        // The ledger records the result first, then the timeline says it.
        return i.timeline.some((e) => e.step === "undo" && e.message.startsWith("undone:")) ? i : undefined;
      },
      { what: "the undo's result on the timeline" },
    );
    expect(image(h)).toBe(bad);
    expect(undoRecords(after)).toEqual([
      expect.objectContaining({
        state: "sent",
        params: expect.objectContaining({ by: "u0alice", via: "slack" }),
      }),
    ]);
    expect(after.timeline.filter((e) => e.step === "undo").map((e) => e.message)).toEqual([
      "u0alice asked to undo rollback_deployment",
      expect.stringMatching(/^undone: rolled forward to the release it left/),
    ]);
    // The message shows the new state: undone by Alice, and no Undo button any more.
    const updated = await waitFor(
      async () => {
        const m = h.slack.messages.get(`${outcome.channel}:${outcome.ts}`)!;
        return text(m.blocks).includes("Undone") ? m : undefined;
      },
      { what: "the outcome message updated" },
    );
    expect(text(updated.blocks)).toContain("by u0alice");
    expect(text(updated.blocks)).not.toContain('"aegis_undo"');
    // The second click was answered to Alice alone.
    await waitFor(async () => ephemeralsTo(h, ALICE).length > 0, { what: "Alice's ephemeral answer" });
    expect(String(ephemeralsTo(h, ALICE)[0]!.args.text)).toMatch(/already undone|being undone/);
  });

  it("after a newer rollout the click warns why and offers Undo anyway, which runs it", async () => {
    const h = await startSlackHarness(approvalPolicy());
    const { id, bad, outcome } = await rolledBack(h);
    // Someone rolls checkout out again (kubectl rollout restart's patch) through the API server.
    await restartRollout(h.sim, "checkout", "slack-test-admin");
    const restarted = image(h);

    await click(h, outcome, ALICE, "aegis_undo", id);
    const warning = await waitFor(async () => ephemeralsTo(h, ALICE)[0], { what: "the warning" });
    expect(String(warning.args.text)).toMatch(/was rolled out again after the rollback/);
    expect(String(warning.args.blocks)).toContain("aegis_undo_confirm");
    expect(image(h)).toBe(restarted);

    await click(h, outcome, ALICE, "aegis_undo_confirm", id);
    await waitFor(async () => image(h) === bad || undefined, { what: "the confirmed undo" });
    const after = await getIncident(h.baseUrl, id);
    expect(undoRecords(after)[0]?.params).toMatchObject({ confirmedOver: ["changed_since"], via: "slack" });
  });

  it("an undo asked through the API shows in the Slack message too", async () => {
    const h = await startSlackHarness(approvalPolicy());
    const { id, bad, outcome } = await rolledBack(h);
    const res = await fetch(`${h.baseUrl}/api/incidents/${id}/undo`, {
      method: "POST",
      headers: { ...apiHeaders(h.baseUrl), "content-type": "application/json" },
      body: JSON.stringify({ by: "bob-at-the-terminal" }),
    });
    expect(res.status).toBe(200);
    expect(image(h)).toBe(bad);
    const m = h.slack.messages.get(`${outcome.channel}:${outcome.ts}`)!;
    expect(text(m.blocks)).toContain("Undone* by bob-at-the-terminal");
    expect(text(m.blocks)).not.toContain('"aegis_undo"');
    const thread = [...h.slack.messages.values()].filter((x) => x.threadTs === outcome.threadTs);
    expect(thread.some((x) => /bob-at-the-terminal: undone: rolled forward/.test(x.text))).toBe(true);
  });

  it("in auto mode the channel's outcome notification carries the button; the undo updates it and threads under it", async () => {
    const h = await startSlackHarness(
      approvalPolicy({ modes: { byTier: { low: "auto", medium: "auto", high: "auto" } } }),
    );
    h.sim.inject({ family: "crashloop", target: "shop/checkout", variant: "bad_image" });
    h.sim.advance(30_000);
    const bad = image(h);
    const id = await h.alert({ namespace: "shop", deployment: "checkout" });
    expect((await h.waitFinished(id)).status).toBe("resolved");
    const notification = await waitFor(
      async () =>
        [...h.slack.messages.values()].find((m) => !m.threadTs && text(m.blocks).includes(id)) ?? undefined,
      { what: "the outcome notification" },
    );
    expect(text(notification.blocks)).toContain("aegis_undo");
    await click(h, notification, ALICE, "aegis_undo", id);
    await waitFor(async () => image(h) === bad || undefined, { what: "the undo" });
    const updated = await waitFor(
      async () => {
        const m = h.slack.messages.get(`${notification.channel}:${notification.ts}`)!;
        return text(m.blocks).includes("Undone") ? m : undefined;
      },
      { what: "the notification updated" },
    );
    expect(text(updated.blocks)).not.toContain('"aegis_undo"');
    await waitFor(
      async () =>
        [...h.slack.messages.values()].some(
          (m) => m.threadTs === notification.ts && /undone:/.test(m.text),
        ) || undefined,
      { what: "the undo's line in the notification's thread" },
    );
  });
});
