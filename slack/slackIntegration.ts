import type { ApprovalDesk } from "../agent/approvals/approvalDesk.ts";
import type { Policy } from "../agent/policy/schema.ts";
import { describeError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { IncidentRepository } from "../store/incidentRepository.ts";
import type { SlackApp } from "./app.ts";
import { registerApprovalActions } from "./approvalActions.ts";
import { createAegisCommand, type AegisCommandDeps } from "./commands/aegisCommand.ts";
import { ApprovalMessages } from "./approvalMessages.ts";
import { SlackNotifier } from "./slackNotifier.ts";
import { AutonomyProposals } from "./autonomyProposals.ts";
import type { Autonomy } from "../agent/autonomy/autonomy.ts";
import type { PersonUndo } from "../agent/undo/personUndo.ts";
import { registerUndoActions } from "./undoActions.ts";

export interface SlackWiring {
  slack: SlackApp;
  desk: ApprovalDesk;
  incidents: IncidentRepository;
  policy: Policy;
  defaultChannel: string | undefined;
  logger: Logger;
  autonomy: Autonomy;
  command: Omit<AegisCommandDeps, "incidents" | "policy" | "autonomy">;
  /** A person's undo (enables the Undo button of outcome messages). */
  undo?: PersonUndo;
}

/**
 * Connect the Bolt app to the product: approval buttons answer through the desk, every counted answer
 * updates the request in place, and the notifier posts requests and outcomes.
 */
export function wireSlack(w: SlackWiring) {
  const approvals = new ApprovalMessages({
    client: w.slack.client,
    incidents: w.incidents,
    desk: w.desk,
    policy: w.policy,
    defaultChannel: w.defaultChannel,
    logger: w.logger,
  });
  const proposals = new AutonomyProposals({
    client: w.slack.client,
    autonomy: w.autonomy,
    settings: w.command.settings,
    policy: w.policy,
    defaultChannel: w.defaultChannel,
    globalApprovers: w.command.globalApprovers,
    groupMembers: w.command.groupMembers,
    logger: w.logger,
  });
  proposals.register(w.slack.bolt);
  const notifier = new SlackNotifier({
    proposals,
    client: w.slack.client,
    incidents: w.incidents,
    approvals,
    policy: w.policy,
    defaultChannel: w.defaultChannel,
    logger: w.logger,
  });
  registerApprovalActions(w.slack.bolt, w.desk, w.logger);
  if (w.undo)
    registerUndoActions(w.slack.bolt, {
      undo: w.undo,
      incidents: w.incidents,
      policy: w.policy,
      globalApprovers: w.command.globalApprovers,
      groupMembers: w.command.groupMembers,
      logger: w.logger,
    });
  const aegis = createAegisCommand({
    ...w.command,
    incidents: w.incidents,
    policy: w.policy,
    autonomy: w.autonomy,
  });
  w.slack.bolt.command("/aegis", async ({ command, ack }) => {
    let text: string;
    try {
      text = await aegis(command.text, { id: command.user_id, name: command.user_name });
    } catch (err) {
      w.logger.error({ err: describeError(err) }, "/aegis failed");
      text = `Something went wrong: ${describeError(err)}`;
    }
    await ack({ response_type: "ephemeral", text });
  });
  w.desk.onAnswer((incident, result, vote) => approvals.answered(incident, result, vote));
  w.slack.bolt.error(async (err) => {
    w.logger.error({ err: describeError(err) }, "Slack handler failed");
  });
  return {
    notifier,
    async start() {
      await w.slack.start();
      notifier.start();
      // A crash between "awaiting approval" and the post leaves a request unposted: post it now.
      for (const incident of await w.incidents.list({ status: "awaiting_approval", limit: 500 })) {
        await approvals.post(incident).catch((err: unknown) => {
          w.logger.warn({ incident: incident.id, err: describeError(err) }, "approval request not posted");
        });
      }
    },
    async stop() {
      await notifier.stop();
      await w.slack.stop();
    },
  };
}
