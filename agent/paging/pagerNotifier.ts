import { redactText } from "../../core/redact.ts";
import type { Incident } from "../../core/types.ts";
import type { RuntimeSettings } from "../../store/runtimeSettings.ts";
import type { PagerEvent } from "../../tools/pagerduty/eventsApi.ts";
import type { Notifier } from "../notifier.ts";

/** Runtime settings kind of an open page, keyed by target. */
export const OPEN_PAGE = "open_page";

interface OpenPage {
  dedupKey: string;
  incidentId: string;
  at: string;
}

export interface PagerNotifierDeps {
  send(event: PagerEvent): Promise<string>;
  settings: RuntimeSettings;
  now?: () => Date;
}

const SEVERITY: Record<string, "critical" | "error" | "warning" | "info"> = {
  critical: "critical",
  page: "critical",
  error: "error",
  warning: "warning",
  warn: "warning",
  info: "info",
};

/**
 * Pages a human when AegisOps cannot fix it: failed and escalated incidents trigger a PagerDuty alert keyed by
 * the target, so repeats for the same target do not page twice; the page is resolved when a later incident on
 * that target resolves. An incident a person rejected is theirs already and does not page; one whose
 * approval expired does.
 */
export class PagerNotifier implements Notifier {
  private readonly now: () => Date;

  constructor(private readonly deps: PagerNotifierDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async notify(incident: Incident): Promise<void> {
    const target = incident.target.key;
    if (incident.status === "resolved") {
      const open = await this.deps.settings.get<OpenPage>(OPEN_PAGE, target);
      if (!open) return;
      await this.deps.send({ event_action: "resolve", dedup_key: open.value.dedupKey });
      await this.deps.settings.set(OPEN_PAGE, target, null, `incident ${incident.id}`);
      return;
    }
    if (incident.status !== "failed" && incident.status !== "escalated") return;
    if (rejectedByPerson(incident)) return;
    const dedupKey = `aegisops/${target}`;
    const severity = incident.alerts.map((a) => SEVERITY[a.labels.severity ?? ""]).find((s) => s) ?? "error";
    const reason = redactText(incident.statusReason ?? "");
    await this.deps.send({
      event_action: "trigger",
      dedup_key: dedupKey,
      client: "AegisOps",
      payload: {
        summary: `[AegisOps] ${incident.status}: ${target} — ${reason}`.slice(0, 1024),
        source: target,
        severity,
        timestamp: this.now().toISOString(),
        component: incident.target.kind,
        group: incident.alerts.find((a) => a.labels.service)?.labels.service ?? target,
        class: incident.decision?.family ?? incident.alerts[0]?.labels.alertname ?? "incident",
        custom_details: {
          incident: incident.id,
          reason,
          alerts: [...new Set(incident.alerts.map((a) => a.labels.alertname ?? "?"))],
          decision: incident.decision
            ? `${incident.decision.action} (${incident.decision.confidence})`
            : null,
          tried: incident.actions.map((a) => `${a.action} attempt ${a.attempt}: ${a.state}`),
          signals: incident.evidence?.signals.map((s) => s.name) ?? [],
        },
      },
    });
    const page: OpenPage = { dedupKey, incidentId: incident.id, at: this.now().toISOString() };
    await this.deps.settings.set(OPEN_PAGE, target, page, `incident ${incident.id}`);
  }
}

/** A person said no (in Slack or through the API): they own it, nobody needs waking. */
function rejectedByPerson(incident: Incident): boolean {
  return incident.timeline.some(
    (e) =>
      e.step === "approval" &&
      e.data?.decided === true &&
      e.data.approved === false &&
      e.data.via !== "expiry",
  );
}
