import type { types } from "@slack/bolt";
import { ACTION_RISK } from "../../core/catalog.ts";
import { redactText } from "../../core/redact.ts";
import type { Incident } from "../../core/types.ts";
import {
  blastRadius,
  clip,
  esc,
  HEADER_MAX,
  logExcerpt,
  SECTION_MAX,
  topEvidence,
  undoPlan,
} from "./evidence.ts";

type Block = types.KnownBlock;

/** Action ids of the two buttons; the button's value is the incident id. */
export const APPROVE_ACTION = "aegis_approve";
export const REJECT_ACTION = "aegis_reject";

/** Where the request stands: waiting (with buttons), or answered (the buttons give way to the outcome). */
export type ApprovalState =
  | { kind: "waiting"; approvers: string[]; required: number; expiresAt: string }
  | { kind: "answered"; text: string };

const section = (text: string): Block => ({
  type: "section",
  text: { type: "mrkdwn", text: clip(text, SECTION_MAX) },
});

/** The fallback text of the message (notifications, screen readers). */
export function approvalText(incident: Incident): string {
  const d = incident.decision;
  return `Approval needed: ${d?.action ?? "?"} on ${d?.target ?? incident.target.key} (incident ${incident.id})`;
}

/**
 * The approval request in Block Kit: what fired, the evidence that decided (contribution map, top signals,
 * a few redacted log lines), the action with its risk tier, blast radius and undo plan, and Approve / Reject.
 */
export function approvalBlocks(incident: Incident, state: ApprovalState): Block[] {
  const d = incident.decision;
  const action = d?.action ?? "none";
  const tier = ACTION_RISK[action];
  const blocks: Block[] = [
    {
      type: "header",
      text: {
        type: "plain_text",
        text: clip(`Approval needed: ${action} on ${d?.target ?? incident.target.key}`, HEADER_MAX),
      },
    },
  ];
  const fired = incident.alerts.slice(0, 3).map((a) => {
    const summary = a.annotations.summary ?? a.annotations.description ?? "";
    const sev = a.labels.severity ? ` (${a.labels.severity})` : "";
    return `• *${esc(a.labels.alertname ?? "alert")}*${esc(sev)}${summary ? ` — ${esc(redactText(summary))}` : ""}`;
  });
  const more = incident.alerts.length > 3 ? `\n…and ${incident.alerts.length - 3} more` : "";
  blocks.push(section(`*What fired*\n${fired.join("\n")}${more}`));
  blocks.push({
    type: "section",
    fields: [
      { type: "mrkdwn", text: `*Target*\n${esc(incident.target.key)}` },
      { type: "mrkdwn", text: `*Action*\n\`${action}\`` },
      { type: "mrkdwn", text: `*Risk tier*\n${tier}` },
      { type: "mrkdwn", text: `*Confidence*\n${d ? `${Math.round(d.confidence * 100)} %` : "?"}` },
      { type: "mrkdwn", text: `*Planner*\n${d?.planner ?? "?"}${d?.model ? ` (${esc(d.model)})` : ""}` },
      { type: "mrkdwn", text: `*Incident*\n${incident.id}` },
    ],
  });
  if (d?.rationale) blocks.push(section(`*Why*\n${esc(redactText(d.summary ?? d.rationale))}`));
  const evidence = topEvidence(incident);
  if (evidence.length > 0) {
    const lines = evidence.map(
      (e) =>
        `• \`${esc(e.name)}\`${e.share !== null ? ` *${Math.round(e.share * 100)} %*` : ""}${e.detail ? ` — ${esc(clip(e.detail, 240))}` : ""}`,
    );
    blocks.push(section(`*Evidence that decided* (share of the decision)\n${lines.join("\n")}`));
  }
  const logs = logExcerpt(incident);
  if (logs.length > 0)
    blocks.push(
      section(`*Log lines* (redacted)\n\`\`\`${logs.map((l) => l.replace(/```/g, "'''")).join("\n")}\`\`\``),
    );
  blocks.push(section(`*Blast radius*\n${esc(blastRadius(incident))}\n*Undo*\n${esc(undoPlan(incident))}`));

  if (state.kind === "waiting") {
    const needs =
      state.required > 1
        ? `Needs ${state.required} different approvers${state.approvers.length > 0 ? ` (approved so far: ${state.approvers.map(esc).join(", ")})` : ""}`
        : "Needs 1 approver";
    blocks.push({
      type: "context",
      elements: [
        {
          type: "mrkdwn",
          text: `${needs} · expires <!date^${Math.floor(Date.parse(state.expiresAt) / 1000)}^{time}|${state.expiresAt}> (then escalated) · every answer is audited`,
        },
      ],
    });
    blocks.push({
      type: "actions",
      block_id: "decision",
      elements: [
        {
          type: "button",
          action_id: APPROVE_ACTION,
          style: "primary",
          text: { type: "plain_text", text: "Approve" },
          value: incident.id,
          ...(tier === "high"
            ? {
                confirm: {
                  title: { type: "plain_text", text: "High-risk action" },
                  text: {
                    type: "mrkdwn",
                    text: clip(`Approve \`${action}\` on ${esc(d?.target ?? "")}?`, 300),
                  },
                  confirm: { type: "plain_text", text: "Approve" },
                  deny: { type: "plain_text", text: "Cancel" },
                },
              }
            : {}),
        },
        {
          type: "button",
          action_id: REJECT_ACTION,
          style: "danger",
          text: { type: "plain_text", text: "Reject" },
          value: incident.id,
        },
      ],
    });
  } else {
    blocks.push(section(state.text));
  }
  return blocks;
}
