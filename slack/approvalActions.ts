import type { App } from "@slack/bolt";
import type { ApprovalDesk } from "../agent/approvals/approvalDesk.ts";
import { describeError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { APPROVE_ACTION, REJECT_ACTION } from "./blocks/approvalBlocks.ts";

/** The modal that asks a rejecter why (its callback id; the incident and channel ride in private_metadata). */
export const REJECT_REASON_VIEW = "aegis_reject_reason";

type Client = App["client"];

/**
 * The Approve and Reject buttons. The click is acknowledged at once (Slack allows 3 s); the desk decides
 * whether it counts. Reject first asks why in a modal (a reason is optional; if the modal cannot open, the
 * rejection is taken without one). A click that counts for nothing (not an approver, already answered, the
 * same person twice) is answered only to the person who clicked.
 */
export function registerApprovalActions(bolt: App, desk: ApprovalDesk, logger: Logger): void {
  const answer = async (
    client: Client,
    incidentId: string,
    channel: string | undefined,
    user: { id: string; name?: string | undefined; username?: string | undefined },
    approved: boolean,
    comment: string | undefined,
  ) => {
    const tell = async (text: string) => {
      if (!channel) return;
      try {
        await client.chat.postEphemeral({ channel, user: user.id, text });
      } catch (err) {
        logger.warn({ incident: incidentId, err: describeError(err) }, "ephemeral answer not posted");
      }
    };
    const result = await desk.answer(incidentId, {
      approved,
      by: user.name ?? user.username ?? user.id,
      userId: user.id,
      via: "slack",
      ...(comment ? { comment } : {}),
    });
    if (result.kind === "refused") await tell(`Not counted: ${result.message}.`);
    else if (result.kind === "recorded") {
      await tell(
        `Your approval is recorded (${result.approvers.length} of ${result.required}); another approver is needed.`,
      );
    }
  };

  bolt.action(APPROVE_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    if (body.type !== "block_actions" || action.type !== "button") return;
    const channel = body.channel?.id ?? body.container?.channel_id;
    await answer(client, action.value ?? "", channel, body.user, true, undefined);
  });

  bolt.action(REJECT_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    if (body.type !== "block_actions" || action.type !== "button") return;
    const incidentId = action.value ?? "";
    const channel = body.channel?.id ?? body.container?.channel_id;
    const user = body.user;
    const vote = { approved: false, by: user.name ?? user.id, userId: user.id, via: "slack" as const };
    // Ask why only when the rejection can count; otherwise the desk records and answers the refusal now.
    if (await desk.precheck(incidentId, vote)) {
      await answer(client, incidentId, channel, user, false, undefined);
      return;
    }
    try {
      await client.views.open({ trigger_id: body.trigger_id, view: rejectReasonView(incidentId, channel) });
    } catch (err) {
      logger.warn(
        { incident: incidentId, err: describeError(err) },
        "reason modal not opened; rejecting without",
      );
      await answer(client, incidentId, channel, body.user, false, undefined);
    }
  });

  bolt.view(REJECT_REASON_VIEW, async ({ ack, body, view, client }) => {
    await ack();
    const meta = JSON.parse(view.private_metadata || "{}") as { incidentId?: string; channel?: string };
    const reason = view.state.values.reason?.reason?.value?.trim();
    await answer(client, meta.incidentId ?? "", meta.channel, body.user, false, reason || undefined);
  });
}

function rejectReasonView(incidentId: string, channel: string | undefined) {
  return {
    type: "modal" as const,
    callback_id: REJECT_REASON_VIEW,
    private_metadata: JSON.stringify({ incidentId, channel }),
    title: { type: "plain_text" as const, text: "Reject the action" },
    submit: { type: "plain_text" as const, text: "Reject" },
    close: { type: "plain_text" as const, text: "Cancel" },
    blocks: [
      {
        type: "input" as const,
        block_id: "reason",
        optional: true,
        label: { type: "plain_text" as const, text: `Why? (incident ${incidentId})` },
        element: {
          type: "plain_text_input" as const,
          action_id: "reason",
          multiline: true,
          max_length: 500,
          placeholder: { type: "plain_text" as const, text: "e.g. deploy freeze; I am on it" },
        },
      },
    ],
  };
}
