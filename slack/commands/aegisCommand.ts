import { anyApprover, isInSet } from "../../agent/approvals/authority.ts";
import { setServiceMode } from "../../agent/policy/modeOverrides.ts";
import type { Policy, PolicyMode } from "../../agent/policy/schema.ts";
import { describeError } from "../../core/errors.ts";
import { redactText } from "../../core/redact.ts";
import { isTerminal, type Incident } from "../../core/types.ts";
import type { IncidentRepository } from "../../store/incidentRepository.ts";
import type { RuntimeSettings } from "../../store/runtimeSettings.ts";
import { createSilence } from "../../tools/alertmanager/createSilence.ts";
import { esc } from "../blocks/evidence.ts";
import { duration, outcomeLine } from "../blocks/outcomeBlocks.ts";

export interface AegisCommandDeps {
  incidents: IncidentRepository;
  policy: Policy;
  settings: RuntimeSettings;
  /** AEGIS_MODE: the mode where neither the policy nor a person set one. */
  processMode: PolicyMode;
  globalApprovers: readonly string[];
  groupMembers: ((groupId: string) => Promise<string[]>) | undefined;
  alertmanagerUrl: string | undefined;
  /** Error budgets and autonomy, for `status` (absent until SLOs are configured). */
  budgets?: () => Promise<string>;
  now?: () => Date;
}

const HELP = [
  "*/aegis* — AegisOps from Slack",
  "• `/aegis status` — open incidents, modes, error budgets",
  "• `/aegis incident <id>` — one incident: status, decision, evidence, timeline",
  "• `/aegis mode <service> advise|approve|auto` — set a service's mode (approvers only; kept across restarts)",
  "• `/aegis silence <target> <duration>` — silence alerts in Alertmanager (approvers only); target is",
  "  `namespace/deployment`, `node/<name>`, `label=value[,label=value]`, or a service name; duration like 30m, 2h, 1d",
].join("\n");

const MAX_SILENCE_MS = 7 * 24 * 3_600_000;

/** Parse "30m", "2h", "1d" into milliseconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,4})(m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "m" | "h" | "d"];
}

/** Alertmanager matchers for a silence target (see HELP). */
export function silenceMatchers(target: string): Array<{ name: string; value: string }> | undefined {
  if (target.includes("=")) {
    const pairs = target.split(",").map((p) => p.split("="));
    if (pairs.some((p) => p.length !== 2 || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(p[0]!) || p[1] === ""))
      return undefined;
    return pairs.map(([name, value]) => ({ name: name!, value: value! }));
  }
  const parts = target.split("/");
  if (parts.length === 2 && parts[0] === "node" && parts[1]) return [{ name: "node", value: parts[1] }];
  if (parts.length === 2 && parts[0] && parts[1]) {
    return [
      { name: "namespace", value: parts[0] },
      { name: "deployment", value: parts[1] },
    ];
  }
  if (parts.length === 1 && /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(target))
    return [{ name: "service", value: target }];
  return undefined;
}

/**
 * The `/aegis` slash command: read-only answers for anyone in the workspace, changes (mode, silence) for
 * approvers only. Returns the reply (mrkdwn), shown only to the person who typed the command.
 */
export function createAegisCommand(deps: AegisCommandDeps) {
  const now = deps.now ?? (() => new Date());

  async function status(): Promise<string> {
    const counts = await deps.incidents.countByStatus();
    const open = (await deps.incidents.list({ limit: 200 })).filter((i) => !isTerminal(i.status));
    const lines = open
      .slice(0, 10)
      .map(
        (i) =>
          `• \`${i.id}\` *${i.status}* ${esc(i.target.key)}${i.decision ? ` → \`${i.decision.action}\`` : ""}`,
      );
    const modes = Object.entries(deps.policy.services)
      .filter(([, s]) => s.mode)
      .map(([name, s]) => `${esc(name)}: ${s.mode}`);
    const tiers = Object.entries(deps.policy.modes.byTier).map(([t, m]) => `${t} risk: at most ${m}`);
    const waiting = counts.awaiting_approval > 0 ? ` (${counts.awaiting_approval} awaiting approval)` : "";
    return [
      `*Open incidents*: ${open.length}${waiting}`,
      ...lines,
      open.length > 10 ? `…and ${open.length - 10} more` : "",
      `*Mode*: ${deps.policy.mode ?? deps.processMode}${tiers.length ? ` · ${tiers.join(", ")}` : ""}`,
      modes.length ? `*Services*: ${modes.join(", ")}` : "",
      `*Error budgets*: ${deps.budgets ? await deps.budgets() : "no SLOs configured (policy `slos`)"}`,
      `*Finished so far*: ${["resolved", "failed", "escalated", "advised", "dismissed"].map((s) => `${counts[s as keyof typeof counts]} ${s}`).join(", ")}`,
    ]
      .filter((l) => l !== "")
      .join("\n");
  }

  function detail(i: Incident): string {
    const d = i.decision;
    const timeline = i.timeline
      .filter((e) => e.step !== "slack")
      .slice(-8)
      .map((e) => `• ${e.at.slice(11, 19)} *${esc(e.step)}* ${esc(redactText(e.message))}`);
    return [
      outcomeLine(i),
      `*Alerts*: ${esc([...new Set(i.alerts.map((a) => a.labels.alertname ?? "?"))].join(", "))}`,
      d
        ? `*Decision*: \`${d.action}\` (${Math.round(d.confidence * 100)} %, ${d.planner}) — ${esc(redactText(d.summary ?? d.rationale))}`
        : "",
      i.evidence?.signals.length
        ? `*Signals*: ${i.evidence.signals.map((s) => `\`${esc(s.name)}\``).join(", ")}`
        : "",
      i.actions.length ? `*Actions*: ${i.actions.map((a) => `\`${a.action}\` ${a.state}`).join(", ")}` : "",
      i.mttrMs !== null ? `*Time to recovery*: ${duration(i.mttrMs)}` : "",
      `*Timeline*\n${timeline.join("\n")}`,
    ]
      .filter((l) => l !== "")
      .join("\n");
  }

  async function mayChange(userId: string, service?: string): Promise<boolean> {
    return isInSet(anyApprover(deps.policy, deps.globalApprovers, service), userId, deps.groupMembers);
  }

  return async function handle(text: string, user: { id: string; name: string }): Promise<string> {
    const [verb = "", ...args] = text
      .trim()
      .split(/\s+/)
      .filter((w) => w !== "");
    switch (verb.toLowerCase()) {
      case "":
      case "help":
        return HELP;
      case "status":
        return status();
      case "incident": {
        const id = args[0];
        if (!id) return "Usage: `/aegis incident <id>`";
        const i = await deps.incidents.get(id);
        return i ? detail(i) : `No incident with id \`${esc(id)}\`.`;
      }
      case "mode": {
        const [service, mode] = args;
        if (!service || !mode || !["advise", "approve", "auto"].includes(mode)) {
          return "Usage: `/aegis mode <service> advise|approve|auto`";
        }
        if (!(await mayChange(user.id, service)))
          return `Only approvers of ${esc(service)} may change its mode.`;
        const before = deps.policy.services[service]?.mode ?? deps.policy.mode ?? deps.processMode;
        await setServiceMode(
          deps.policy,
          deps.settings,
          service,
          mode as PolicyMode,
          `${user.name} (${user.id})`,
        );
        return `Mode of *${esc(service)}*: ${before} → *${mode}* (set by <@${user.id}>; risk tiers may still ask for approval).`;
      }
      case "silence": {
        const [target, span] = args;
        const ms = span ? parseDuration(span) : undefined;
        const matchers = target ? silenceMatchers(target) : undefined;
        if (!target || !matchers || ms === undefined)
          return "Usage: `/aegis silence <target> <duration>` (e.g. `shop/checkout 2h`)";
        if (ms <= 0 || ms > MAX_SILENCE_MS) return "A silence lasts from 1 minute to 7 days.";
        if (!deps.alertmanagerUrl) return "Silences live in Alertmanager: set ALERTMANAGER_URL.";
        const service = matchers.find((m) => m.name === "service")?.value;
        if (!(await mayChange(user.id, service))) return "Only approvers may silence alerts.";
        const start = now();
        try {
          const id = await createSilence(
            // Slack waits 3 s for the answer.
            { alertmanagerUrl: deps.alertmanagerUrl, timeoutMs: 2000 },
            {
              matchers,
              startsAt: start,
              endsAt: new Date(start.getTime() + ms),
              createdBy: `${user.name} (${user.id}) via Slack`,
              comment: `/aegis silence ${target} ${span}`,
            },
          );
          return `Silenced ${matchers.map((m) => `${esc(m.name)}=${esc(m.value)}`).join(", ")} for ${span} (Alertmanager silence \`${id}\`). AegisOps dismisses matching alerts meanwhile.`;
        } catch (err) {
          return `Could not create the silence: ${esc(describeError(err))}`;
        }
      }
      default:
        return `Unknown subcommand \`${esc(verb)}\`.\n${HELP}`;
    }
  };
}
