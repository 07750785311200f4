import type { webApi } from "@slack/bolt";
import type { AnswerResult, ApprovalDesk, ApprovalVote } from "../agent/approvals/approvalDesk.ts";
import type { Policy } from "../agent/policy/schema.ts";
import { AegisError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { Incident } from "../core/types.ts";
import type { IncidentRepository } from "../store/incidentRepository.ts";
import { approvalBlocks, approvalText } from "./blocks/approvalBlocks.ts";
import { esc } from "./blocks/evidence.ts";
import { outcomeBlocks, outcomeLine } from "./blocks/outcomeBlocks.ts";
import { channelFor } from "./channels.ts";
import { findMessage, recordMessage } from "./messageRefs.ts";

export interface ApprovalMessagesDeps {
  client: webApi.WebClient;
  incidents: IncidentRepository;
  desk: ApprovalDesk;
  policy: Policy;
  defaultChannel: string | undefined;
  logger: Logger;
}

/**
 * The approval request's life in Slack: posted once per round, updated in place as answers come in (the
 * buttons give way to the outcome), and the incident's later steps posted as a thread under it.
 */
export class ApprovalMessages {
  constructor(private readonly deps: ApprovalMessagesDeps) {}

  /** Post the request unless this round already has one (a crash may call this twice). */
  async post(incident: Incident): Promise<void> {
    const round = this.deps.desk.round(incident);
    if (!round || findMessage(incident, "approval", round.startIndex)) return;
    const channel = channelFor(incident, this.deps.policy, this.deps.defaultChannel);
    if (!channel) {
      throw new AegisError(
        "config_invalid",
        "no Slack channel for the approval request: set SLACK_CHANNEL or notifications.channel",
      );
    }
    const res = await this.deps.client.chat.postMessage({
      channel,
      text: approvalText(incident),
      blocks: approvalBlocks(incident, {
        kind: "waiting",
        approvers: [],
        required: round.authority.required,
        expiresAt: round.expiresAt,
      }),
      unfurl_links: false,
    });
    if (!res.ts || !res.channel) throw new AegisError("tool_failed", "Slack did not return the message's ts");
    await recordMessage(this.deps.incidents, incident.id, {
      kind: "approval",
      channel: res.channel,
      ts: res.ts,
    });
  }

  /** An answer counted (or the request expired): update the message in place and say so in its thread. */
  async answered(incident: Incident, result: AnswerResult, vote: ApprovalVote | null): Promise<void> {
    const round = this.deps.desk.round(incident);
    const ref = findMessage(incident, "approval", round?.startIndex ?? 0);
    if (!ref || !round || result.kind === "refused") return;
    const via =
      vote?.via === "api" ? " (through the API)" : vote?.via === "dashboard" ? " (in the dashboard)" : "";
    const who = (name: string, v: ApprovalVote | null) =>
      v?.via === "slack" && v.userId ? `<@${v.userId}>` : esc(name);
    let text: string;
    if (result.kind === "recorded") {
      await this.update(incident, ref, {
        kind: "waiting",
        approvers: result.approvers,
        required: result.required,
        expiresAt: round.expiresAt,
      });
      await this.reply(
        ref,
        `${who(vote?.by ?? "?", vote)} approved${via}: ${result.approvers.length} of ${result.required}; one more approver needed`,
      );
      return;
    }
    if (result.expired) {
      text = `:hourglass: *Expired*: nobody approved within ${this.deps.policy.approvals.expiryMinutes} min — escalated to people`;
    } else if (result.approved) {
      text = `:white_check_mark: *Approved* by ${result.approvers.map(esc).join(" and ")}${via} — acting now`;
    } else {
      text = `:no_entry: *Rejected* by ${who(vote?.by ?? "?", vote)}${via}${vote?.comment ? `: ${esc(vote.comment)}` : ""} — escalated`;
    }
    await this.update(incident, ref, { kind: "answered", text });
    await this.reply(ref, text);
  }

  /** The incident finished: post the outcome in the request's thread. False when it had no request. */
  async finished(incident: Incident): Promise<boolean> {
    const ref = findMessage(incident, "approval");
    if (!ref) return false;
    if (findMessage(incident, "notification")) return true; // already posted (a re-run after a crash)
    const res = await this.deps.client.chat.postMessage({
      channel: ref.channel,
      thread_ts: ref.ts,
      text: outcomeLine(incident),
      blocks: outcomeBlocks(incident),
      // The outcome is news for the whole channel, not only for the thread's readers.
      reply_broadcast: incident.status !== "resolved",
    });
    // The outcome is the message an undo updates later (it carries the Undo button).
    if (res.ts && res.channel)
      await recordMessage(this.deps.incidents, incident.id, {
        kind: "notification",
        channel: res.channel,
        ts: res.ts,
      });
    return true;
  }

  private async update(
    incident: Incident,
    ref: { channel: string; ts: string },
    state: Parameters<typeof approvalBlocks>[1],
  ) {
    await this.deps.client.chat.update({
      channel: ref.channel,
      ts: ref.ts,
      text: approvalText(incident),
      blocks: approvalBlocks(incident, state),
    });
  }

  private async reply(ref: { channel: string; ts: string }, text: string) {
    await this.deps.client.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text });
  }
}
