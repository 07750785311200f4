import type { App } from "@slack/bolt";
import type { ApprovalDesk } from "../agent/approvals/approvalDesk.ts";
import { describeError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { APPROVE_ACTION, REJECT_ACTION } from "./blocks/approvalBlocks.ts";

/**
 * The Approve and Reject buttons. The click is acknowledged at once (Slack allows 3 s); the desk decides
 * whether it counts. A click that counts for nothing (not an approver, already answered, the same person
 * twice) is answered only to the person who clicked.
 */
export function registerApprovalActions(bolt: App, desk: ApprovalDesk, logger: Logger): void {
  for (const [actionId, approved] of [
    [APPROVE_ACTION, true],
    [REJECT_ACTION, false],
  ] as const) {
    bolt.action(actionId, async ({ ack, body, action, client }) => {
      await ack();
      if (body.type !== "block_actions" || action.type !== "button") return;
      const incidentId = action.value ?? "";
      const user = body.user;
      const channel = body.channel?.id ?? body.container?.channel_id;
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
      });
      if (result.kind === "refused") await tell(`Not counted: ${result.message}.`);
      else if (result.kind === "recorded") {
        await tell(
          `Your approval is recorded (${result.approvers.length} of ${result.required}); another approver is needed.`,
        );
      }
    });
  }
}
