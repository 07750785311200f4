import type { App } from "@slack/bolt";
import { approvalAuthority, isInSet, noApproversConfigured } from "../agent/approvals/authority.ts";
import type { Policy } from "../agent/policy/schema.ts";
import type { PersonUndo } from "../agent/undo/personUndo.ts";
import { undoState } from "../agent/undo/undoable.ts";
import { ACTION_RISK } from "../core/catalog.ts";
import { describeError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { IncidentRepository } from "../store/incidentRepository.ts";
import { UNDO_ACTION, UNDO_CONFIRM_ACTION } from "./blocks/outcomeBlocks.ts";
import { esc } from "./blocks/evidence.ts";

export interface UndoActionDeps {
  undo: PersonUndo;
  incidents: IncidentRepository;
  policy: Policy;
  /** SLACK_APPROVERS: user or group ids allowed to approve (and so undo) every tier. */
  globalApprovers: readonly string[];
  groupMembers?: ((groupId: string) => Promise<string[]>) | undefined;
  logger: Logger;
}

/**
 * The Undo button of an outcome message, and "Undo anyway" after a warning. Who may undo is who may approve the
 * action: the approvers of its risk tier (and of its service) in the policy, or SLACK_APPROVERS. The click is
 * acknowledged at once; a refusal is answered only to the person who clicked; a warning comes with an
 * "Undo anyway" button. After the undo ran, the notifier updates the incident's message (PersonUndo's hook).
 */
export function registerUndoActions(bolt: App, deps: UndoActionDeps): void {
  const log = deps.logger.child({ module: "slack-undo" });
  const handle =
    (confirm: boolean) =>
    async ({ ack, body, action, client }: Parameters<Parameters<App["action"]>[1]>[0]) => {
      await ack();
      if (body.type !== "block_actions" || action.type !== "button") return;
      const id = action.value ?? "";
      const channel = body.channel?.id ?? body.container?.channel_id;
      const user = body.user;
      const tell = async (text: string, blocks?: unknown[]) => {
        if (!channel) return;
        try {
          await client.chat.postEphemeral({
            channel,
            user: user.id,
            text,
            ...(blocks ? { blocks: blocks as never } : {}),
          });
        } catch (err) {
          log.warn({ incident: id, err: describeError(err) }, "ephemeral answer not posted");
        }
      };
      const refusal = await mayUndo(deps, id, user.id);
      if (refusal) return tell(`Not undone: ${refusal}.`);
      const outcome = await deps.undo(id, {
        by: user.name ?? user.username ?? user.id,
        via: "slack",
        ...(confirm ? { confirm: true } : {}),
      });
      if (outcome.kind === "done") {
        if (!outcome.undone) await tell(`Not undone: ${outcome.detail}`);
        return;
      }
      if (!outcome.confirmable) return tell(`Not undone: ${outcome.message}`);
      const text = `:warning: Not undone yet: ${outcome.message.replace(/\. Ask again with confirm to undo anyway$/, "")}.`;
      await tell(text, [
        { type: "section", text: { type: "mrkdwn", text: esc(text).slice(0, 2900) } },
        {
          type: "actions",
          block_id: "aegis_undo_confirm",
          elements: [
            {
              type: "button",
              action_id: UNDO_CONFIRM_ACTION,
              text: { type: "plain_text", text: "Undo anyway" },
              value: id,
              style: "danger",
            },
          ],
        },
      ]);
    };
  bolt.action(UNDO_ACTION, handle(false));
  bolt.action(UNDO_CONFIRM_ACTION, handle(true));
}

/** Why this Slack user may not undo the incident's action (undefined when they may). */
async function mayUndo(deps: UndoActionDeps, id: string, userId: string): Promise<string | undefined> {
  const incident = await deps.incidents.get(id);
  if (!incident) return `no incident ${id}`;
  const { action } = undoState(incident);
  // Nothing to undo: PersonUndo says so in its own words.
  if (!action) return undefined;
  const tier = ACTION_RISK[action.action];
  const service = incident.alerts.find((a) => a.labels.service)?.labels.service;
  const authority = approvalAuthority(deps.policy, deps.globalApprovers, tier, service);
  if (noApproversConfigured(authority))
    return (
      "nobody is configured to approve or undo: set SLACK_APPROVERS (user or group ids) or add approvers to the " +
      "policy file (approvals.byTier.<tier>.users / groups, or services.<name>.approvers)"
    );
  if (await isInSet(authority, userId, deps.groupMembers)) return undefined;
  return `only approvers of ${tier}-risk actions${service ? ` on ${service}` : ""} may undo ${action.action}`;
}
