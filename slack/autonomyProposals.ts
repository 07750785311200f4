import type { App, webApi } from "@slack/bolt";
import { anyApprover, isInSet } from "../agent/approvals/authority.ts";
import { AUTO_PROPOSAL, type Autonomy } from "../agent/autonomy/autonomy.ts";
import { serviceOf } from "../agent/autonomy/record.ts";
import type { Policy } from "../agent/policy/schema.ts";
import { isActionId } from "../core/catalog.ts";
import { describeError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { Incident } from "../core/types.ts";
import type { RuntimeSettings } from "../store/runtimeSettings.ts";
import { esc } from "./blocks/evidence.ts";
import { channelFor } from "./channels.ts";

export const ACCEPT_AUTO_ACTION = "aegis_accept_auto";

export interface AutonomyProposalDeps {
  client: webApi.WebClient;
  autonomy: Autonomy;
  settings: RuntimeSettings;
  policy: Policy;
  defaultChannel: string | undefined;
  globalApprovers: readonly string[];
  groupMembers: ((groupId: string) => Promise<string[]>) | undefined;
  logger: Logger;
}

/**
 * Earned autonomy in Slack: after each finished incident, once the record of its action on its service passes
 * the policy's bar, propose (once) to switch that action to auto; an approver accepts in one click, and the
 * change is recorded with who and when and can be revoked (`/aegis autonomy revoke`).
 */
export class AutonomyProposals {
  constructor(private readonly deps: AutonomyProposalDeps) {}

  /** Propose a switch when the incident's action just passed the bar. */
  async consider(incident: Incident): Promise<void> {
    const service = serviceOf(incident);
    const action = incident.decision?.action;
    if (!service || !action || action === "none") return;
    const key = `${service}/${action}`;
    if (await this.deps.settings.get(AUTO_PROPOSAL, key)) return;
    const record = await this.deps.autonomy.record(service, action);
    if (!record.passes || record.auto) return;
    const channel = channelFor(incident, this.deps.policy, this.deps.defaultChannel);
    if (!channel) return;
    const e = this.deps.policy.autonomy.earned;
    const scored = record.success + record.failure;
    const text =
      `*Earned autonomy*: \`${action}\` on *${esc(service)}* worked ${record.success} of ${scored} times ` +
      `(${Math.round((record.rate ?? 0) * 100)} %, bar ${Math.round(e.successRate * 100)} % over ${e.minIncidents} in ${e.windowDays} days). ` +
      "Switch it to auto, so it no longer waits for approval?";
    const res = await this.deps.client.chat.postMessage({
      channel,
      text,
      blocks: [
        { type: "section", text: { type: "mrkdwn", text } },
        {
          type: "actions",
          block_id: "autonomy",
          elements: [
            {
              type: "button",
              action_id: ACCEPT_AUTO_ACTION,
              style: "primary",
              text: { type: "plain_text", text: "Switch to auto" },
              value: key,
            },
          ],
        },
      ],
    });
    await this.deps.settings.set(AUTO_PROPOSAL, key, { channel: res.channel, ts: res.ts }, "aegis");
  }

  /** The "Switch to auto" button: approvers of the service only. */
  register(bolt: App): void {
    bolt.action(ACCEPT_AUTO_ACTION, async ({ ack, body, action, client }) => {
      await ack();
      if (body.type !== "block_actions" || action.type !== "button") return;
      const [service = "", actionId = ""] = (action.value ?? "").split("/");
      const channel = body.channel?.id ?? body.container?.channel_id;
      const tell = (text: string) =>
        channel
          ? client.chat.postEphemeral({ channel, user: body.user.id, text }).then(() => undefined)
          : Promise.resolve();
      try {
        if (!isActionId(actionId)) return await tell("Not counted: unknown action.");
        const set = anyApprover(this.deps.policy, this.deps.globalApprovers, service);
        if (!(await isInSet(set, body.user.id, this.deps.groupMembers))) {
          return await tell(`Not counted: only approvers of ${service} may switch its actions to auto.`);
        }
        const by = `${body.user.name ?? body.user.id} (${body.user.id})`;
        await this.deps.autonomy.acceptAuto(service, actionId, by);
        const done = `:white_check_mark: \`${actionId}\` on *${esc(service)}* switched to auto by <@${body.user.id}>. Undo: \`/aegis autonomy revoke ${service} ${actionId}\``;
        if (channel && body.message?.ts) {
          await client.chat.update({
            channel,
            ts: body.message.ts,
            text: done,
            blocks: [{ type: "section", text: { type: "mrkdwn", text: done } }],
          });
        }
      } catch (err) {
        this.deps.logger.warn({ err: describeError(err) }, "autonomy acceptance failed");
        await tell(`Something went wrong: ${describeError(err)}`);
      }
    });
  }
}
