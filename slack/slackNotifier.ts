import type { webApi } from "@slack/bolt";
import type { Notifier } from "../agent/notifier.ts";
import type { Policy } from "../agent/policy/schema.ts";
import { describeError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { Incident } from "../core/types.ts";
import type { IncidentRepository } from "../store/incidentRepository.ts";
import type { ApprovalMessages } from "./approvalMessages.ts";
import { outcomeBlocks, outcomeLine } from "./blocks/outcomeBlocks.ts";
import { channelFor } from "./channels.ts";
import { esc } from "./blocks/evidence.ts";
import { redactText } from "../core/redact.ts";
import { findMessage, recordMessage } from "./messageRefs.ts";

export interface SlackNotifierDeps {
  client: webApi.WebClient;
  incidents: IncidentRepository;
  approvals: ApprovalMessages;
  /** Earned-autonomy proposals, considered after each finished incident. */
  proposals?: { consider(incident: Incident): Promise<void> };
  policy: Policy;
  defaultChannel: string | undefined;
  logger: Logger;
}

/** Most lines one digest lists; the rest are counted. */
const DIGEST_LINES = 15;

/**
 * Tells a channel (per service, per severity, or the default) what happened: resolved incidents with root
 * cause, action and time to recovery; failed and escalated ones with evidence and what was tried. Outcomes
 * the policy calls noise (advise-mode recommendations, dismissed alerts by default) go into a periodic
 * digest instead of one message each. An incident that asked for approval gets its outcome in that thread.
 */
export class SlackNotifier implements Notifier {
  private digest = new Map<string, Incident[]>();
  private timer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(private readonly deps: SlackNotifierDeps) {
    this.log = deps.logger.child({ module: "slack-notify" });
  }

  approvalRequested(incident: Incident): Promise<void> {
    return this.deps.approvals.post(incident);
  }

  async notify(incident: Incident): Promise<void> {
    try {
      await this.tell(incident);
    } finally {
      await this.deps.proposals?.consider(incident).catch((err: unknown) => {
        this.log.warn({ incident: incident.id, err: describeError(err) }, "autonomy proposal failed");
      });
    }
  }

  private async tell(incident: Incident): Promise<void> {
    if (await this.deps.approvals.finished(incident)) return;
    if (findMessage(incident, "notification")) return; // already told (a re-run after a crash)
    const channel = channelFor(incident, this.deps.policy, this.deps.defaultChannel);
    if (!channel) {
      this.log.debug({ incident: incident.id }, "no Slack channel configured; not notified");
      return;
    }
    if ((this.deps.policy.notifications.digest as string[]).includes(incident.status)) {
      this.digest.set(channel, [...(this.digest.get(channel) ?? []), incident]);
      return;
    }
    const res = await this.deps.client.chat.postMessage({
      channel,
      text: outcomeLine(incident),
      blocks: outcomeBlocks(incident),
      unfurl_links: false,
    });
    if (res.ts && res.channel) {
      await recordMessage(this.deps.incidents, incident.id, {
        kind: "notification",
        channel: res.channel,
        ts: res.ts,
      });
    }
  }

  /**
   * A person undid (or tried to undo) the incident's action: the outcome message shows the new state (the Undo
   * button gone once undone), and its thread says what was done.
   */
  async undone(incident: Incident): Promise<void> {
    const ref = findMessage(incident, "notification");
    if (!ref) return;
    await this.deps.client.chat.update({
      channel: ref.channel,
      ts: ref.ts,
      text: outcomeLine(incident),
      blocks: outcomeBlocks(incident),
    });
    const last = [...incident.timeline].reverse().find((e) => e.step === "undo");
    if (last) {
      // An outcome posted in an approval request's thread: the line goes in that thread (its parent's ts).
      const parent = findMessage(incident, "approval") ?? ref;
      await this.deps.client.chat.postMessage({
        channel: ref.channel,
        thread_ts: parent.ts,
        text: `${esc(String(last.data?.by ?? ""))}: ${esc(redactText(last.message))}`,
      });
    }
  }

  /** Post the digest every `notifications.digestMinutes`. */
  start(): void {
    const ms = this.deps.policy.notifications.digestMinutes * 60_000;
    this.timer = setInterval(() => void this.flushDigest(), ms);
    this.timer.unref();
  }

  /** Post what the digest holds now, one message per channel (also on shutdown). */
  async flushDigest(): Promise<void> {
    const pending = this.digest;
    this.digest = new Map();
    for (const [channel, incidents] of pending) {
      const counts = new Map<string, number>();
      for (const i of incidents) counts.set(i.status, (counts.get(i.status) ?? 0) + 1);
      const head = [...counts].map(([s, n]) => `${n} ${s}`).join(", ");
      const lines = incidents.slice(0, DIGEST_LINES).map((i) => `• ${i.id} ${outcomeLine(i)}`);
      const rest =
        incidents.length > DIGEST_LINES
          ? `\n…and ${incidents.length - DIGEST_LINES} more (\`/aegis status\`)`
          : "";
      const text = `*AegisOps digest*: ${head}\n${lines.join("\n")}${rest}`;
      try {
        await this.deps.client.chat.postMessage({ channel, text, unfurl_links: false });
      } catch (err) {
        this.log.warn({ channel, err: describeError(err) }, "digest not posted");
      }
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flushDigest();
  }
}
