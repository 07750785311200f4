import type { types } from "@slack/bolt";
import { redactText } from "../../core/redact.ts";
import type { Incident } from "../../core/types.ts";
import { undoState } from "../../agent/undo/undoable.ts";
import { clip, esc, SECTION_MAX, topEvidence } from "./evidence.ts";

type Block = types.KnownBlock;

/** The Undo button of an outcome message (its value is the incident id). */
export const UNDO_ACTION = "aegis_undo";
/** "Undo anyway", offered after a warning (a newer incident acted since, the object changed since). */
export const UNDO_CONFIRM_ACTION = "aegis_undo_confirm";

const ICON: Record<string, string> = {
  resolved: ":white_check_mark:",
  failed: ":x:",
  escalated: ":rotating_light:",
  advised: ":bulb:",
  dismissed: ":zzz:",
};

/** "2m 05s" from milliseconds. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

/** One line for people: status, target and the reason, e.g. for a thread reply or a digest. */
export function outcomeLine(incident: Incident): string {
  const icon = ICON[incident.status] ?? ":information_source:";
  const mttr =
    incident.status === "resolved" && incident.mttrMs !== null ? ` in ${duration(incident.mttrMs)}` : "";
  return `${icon} *${incident.status}*${mttr}: ${esc(incident.target.key)} — ${esc(redactText(incident.statusReason ?? ""))}`;
}

/** What was tried: each action with its attempt and how it ended. */
function tried(incident: Incident): string {
  if (incident.actions.length === 0) return "nothing was changed";
  return incident.actions
    .filter((a) => typeof a.params.undoOf !== "string")
    .map(
      (a) =>
        `• \`${a.action}\` on ${esc(a.target)} (attempt ${a.attempt}): ${a.state}${a.error ? ` — ${esc(redactText(a.error))}` : ""}`,
    )
    .join("\n");
}

/**
 * A finished incident: resolved ones with root cause, action and time to recovery; failed and escalated
 * ones with the evidence and what was tried.
 */
export function outcomeBlocks(incident: Incident): Block[] {
  const d = incident.decision;
  const section = (text: string): Block => ({
    type: "section",
    text: { type: "mrkdwn", text: clip(text, SECTION_MAX) },
  });
  const blocks: Block[] = [section(outcomeLine(incident))];
  const alerts = [...new Set(incident.alerts.map((a) => a.labels.alertname ?? "alert"))].join(", ");
  const fields: string[] = [`*Incident*\n${incident.id}`, `*Alerts*\n${esc(alerts)}`];
  if (d) fields.push(`*Action*\n\`${d.action}\``);
  if (incident.status === "resolved" && incident.mttrMs !== null)
    fields.push(`*Time to recovery*\n${duration(incident.mttrMs)}`);
  blocks.push({
    type: "section",
    fields: fields.map((text) => ({ type: "mrkdwn", text: clip(text, 1900) })),
  });
  if (d) blocks.push(section(`*Root cause*\n${esc(redactText(d.summary ?? d.rationale))}`));
  if (incident.status === "failed" || incident.status === "escalated") {
    const ev = topEvidence(incident).map(
      (e) =>
        `• \`${esc(e.name)}\`${e.share !== null ? ` ${Math.round(e.share * 100)} %` : ""}${e.detail ? ` — ${esc(clip(e.detail, 200))}` : ""}`,
    );
    if (ev.length > 0) blocks.push(section(`*Evidence*\n${ev.join("\n")}`));
    blocks.push(section(`*What was tried*\n${tried(incident)}`));
    const checks = incident.verification?.evidence.filter((c) => !c.ok) ?? [];
    if (checks.length > 0) {
      blocks.push(
        section(
          `*Verification*\n${checks.map((c) => `• ${esc(c.check)}: ${esc(redactText(c.detail))}`).join("\n")}`,
        ),
      );
    }
  }
  blocks.push(...undoBlocks(incident));
  return blocks;
}

/** What became of a person's undo, and the Undo button while one may be asked for. */
export function undoBlocks(incident: Incident): Block[] {
  const { action, undos, offered } = undoState(incident);
  if (!action) return [];
  const blocks: Block[] = [];
  const last = undos.at(-1);
  if (last) {
    const by = esc(String(last.params.by ?? "someone"));
    const detail = esc(redactText(String(last.result?.detail ?? last.error ?? "")));
    const line =
      last.state === "sent"
        ? `:leftwards_arrow_with_hook: *Undone* by ${by}: ${detail}`
        : last.state === "pending"
          ? `:hourglass: *Undo* of \`${action.action}\` asked by ${by}: in progress`
          : `:warning: *Not undone* (asked by ${by}): ${detail}`;
    blocks.push({ type: "section", text: { type: "mrkdwn", text: clip(line, SECTION_MAX) } });
  }
  if (offered) {
    blocks.push({
      type: "actions",
      block_id: "aegis_undo",
      elements: [
        {
          type: "button",
          action_id: UNDO_ACTION,
          text: { type: "plain_text", text: `Undo ${action.action}` },
          value: incident.id,
          style: "danger",
          confirm: {
            title: { type: "plain_text", text: "Undo the action?" },
            text: {
              type: "mrkdwn",
              text: clip(
                `Undo \`${action.action}\` on ${esc(action.target)} (incident ${incident.id})?`,
                300,
              ),
            },
            confirm: { type: "plain_text", text: "Undo" },
            deny: { type: "plain_text", text: "Cancel" },
          },
        },
      ],
    });
  }
  return blocks;
}
