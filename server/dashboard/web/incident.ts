import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { ApiError, duration, postJson, when, type Session } from "./api.ts";
import type { Decision } from "../../../core/types.ts";
import type { ForecastView } from "../forecast.ts";
import { ChartView, COLORS } from "./chart.ts";
import { ForecastChart } from "./forecast.ts";
import { TableHead } from "./table.ts";

/** The incident as /ui/api/incidents/:id returns it (core/types.ts Incident, redacted). */
export interface IncidentDoc {
  id: string;
  status: string;
  statusReason: string | null;
  targetLabel: string;
  alerts: Array<{ labels: Record<string, string>; annotations: Record<string, string>; status: string }>;
  evidence: {
    collectedAt: string;
    signals: Array<{ name: string; value: unknown; detail: string }>;
    errors: string[];
  } | null;
  decision: Decision | null;
  actions: Array<{
    key: string;
    action: string;
    target: string;
    attempt: number;
    state: string;
    requestedAt: string;
    completedAt?: string;
    error?: string;
    params?: Record<string, unknown>;
  }>;
  /** Whether a person may ask to undo now, and the action it would revert (absent from older servers). */
  undo?: { offered: boolean; action: string | null };
  verification: {
    healthy: boolean;
    checkedAt: string;
    evidence: Array<{ check: string; ok: boolean; detail: string }>;
  } | null;
  timeline: Array<{ at: string; step: string; message: string }>;
  receivedAt: string;
  resolvedAt: string | null;
  mttrMs: number | null;
  source: "alert" | "predictive";
  forecast: ForecastView | null;
}

/** One incident: root cause, decision and why, what was done and undone, what verification saw. */
export function IncidentPage(props: { incident: IncidentDoc; session: Session; onChanged: () => void }) {
  const i = props.incident;
  const d = i.decision;
  // The automatic undo after a failed verification, and a person's undo asked for afterwards.
  const rollbacks = i.timeline.filter((t) => t.step === "rollback" || t.step === "undo");
  const alertname = [...new Set(i.alerts.map((a) => a.labels.alertname).filter(Boolean))].join(", ");
  return html`<div class="incident" data-testid="incident" data-status=${i.status}>
    <section class="card">
      <h2>
        <span class=${`badge ${i.status}`} data-testid="status">${i.status.replace("_", " ")}</span>
        ${alertname || "incident"} on ${i.targetLabel}
      </h2>
      <p class="muted">
        ${i.id} · received ${when(i.receivedAt)}${i.resolvedAt ? ` · resolved ${when(i.resolvedAt)}` : ""}
        ${i.mttrMs !== null ? ` · recovered in ${duration(i.mttrMs)}` : ""}
      </p>
      ${i.statusReason && html`<p>${i.statusReason}</p>`}
      ${i.status === "awaiting_approval" && html`<${Approval} incident=${i} session=${props.session} onChanged=${props.onChanged} />`}
    </section>

    ${i.forecast && html`<${ForecastChart} forecast=${i.forecast} />`}

    <section class="card" data-testid="root-cause">
      <h3>Root cause</h3>
      ${
        d
          ? html`<p>${d.summary ?? d.rationale}</p>
              ${d.family && html`<p class="muted">failure family: <b>${d.family}</b></p>`}`
          : html`<p class="muted">Not decided yet.</p>`
      }
    </section>

    ${d && html`<${DecisionCard} decision=${d} />`}

    <section class="card" data-testid="actions">
      <h3>Action and undo</h3>
      ${
        i.actions.length === 0
          ? html`<p class="muted">No action taken.</p>`
          : html`<table>
              <${TableHead} columns=${["action", "target", "attempt", "state", "sent", "error"]} />
              <tbody>
                ${i.actions.map(
                  (a) =>
                    html`<tr key=${a.key}>
                      <td>
                        ${typeof a.params?.undoOf === "string" ? html`undo of <b>${a.action}</b> by ${String(a.params.by ?? "?")}` : html`<b>${a.action}</b>`}
                      </td>
                      <td>${a.target}</td>
                      <td>${a.attempt}</td>
                      <td>${a.state}</td>
                      <td>${when(a.requestedAt)}</td>
                      <td>${a.error ?? ""}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      <p>
        <b>Undo:</b>
        ${
          rollbacks.length > 0
            ? rollbacks.map((r) => html` ${r.message} (${when(r.at)})`)
            : i.verification?.healthy
              ? " not needed: verified healthy."
              : " none recorded."
        }
      </p>
      <${UndoButton} incident=${i} session=${props.session} onChanged=${props.onChanged} />
    </section>

    <section class="card" data-testid="verification">
      <h3>Verification</h3>
      ${
        i.verification
          ? html`<p>
                ${
                  i.verification.healthy
                    ? html`<span class="ok">healthy</span>`
                    : html`<span class="bad">not healthy</span>`
                }
                · checked ${when(i.verification.checkedAt)}
              </p>
              <table>
                <tbody>
                  ${i.verification.evidence.map(
                    (e) =>
                      html`<tr>
                        <td class=${e.ok ? "ok" : "bad"}>${e.ok ? "✓" : "✗"}</td>
                        <td>${e.check}</td>
                        <td>${e.detail}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
          : html`<p class="muted">Not verified yet.</p>`
      }
    </section>

    <section class="card" data-testid="evidence">
      <h3>Evidence</h3>
      ${
        i.evidence
          ? html`<table>
                <tbody>
                  ${i.evidence.signals.map(
                    (s) =>
                      html`<tr>
                        <td><b>${s.name}</b></td>
                        <td>${String(s.value)}</td>
                        <td>${s.detail}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
              ${
                i.evidence.errors.length > 0 &&
                html`<p class="muted">Could not read: ${i.evidence.errors.join("; ")}</p>`
              }`
          : html`<p class="muted">No evidence collected yet.</p>`
      }
    </section>

    <section class="card">
      <h3>Timeline</h3>
      <ol class="timeline" data-testid="timeline">
        ${i.timeline.map(
          (t) => html`<li><span class="muted">${when(t.at)}</span> <b>${t.step}</b> ${t.message}</li>`,
        )}
      </ol>
    </section>
  </div>`;
}

function DecisionCard(props: { decision: NonNullable<IncidentDoc["decision"]> }) {
  const d = props.decision;
  const entries = Object.entries(d.contributions).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
  return html`<section class="card" data-testid="decision">
    <h3>Decision</h3>
    <p>
      <b data-testid="decision-action">${d.action}</b>
      ${` on ${d.target} · confidence ${(d.confidence * 100).toFixed(0)}% · ${d.planner} planner`}
      ${d.model ? ` (${d.model})` : ""}
    </p>
    <p>${d.rationale}</p>
    ${Object.keys(d.params).length > 0 && html`<p class="muted">parameters: <code>${JSON.stringify(d.params)}</code></p>`}
    ${
      entries.length > 0 &&
      html`<h4>What the decision rested on</h4>
        <${ChartView}
          testid="contributions"
          height=${40 + entries.length * 26}
          config=${{
            type: "bar",
            data: {
              labels: entries.map(([k]) => k),
              datasets: [
                {
                  label: "share of the decision",
                  data: entries.map(([, v]) => v),
                  backgroundColor: entries.map(([, v]) => (v >= 0 ? COLORS.positive : COLORS.negative)),
                },
              ],
            },
            options: { indexAxis: "y", maintainAspectRatio: false, plugins: { legend: { display: false } } },
          }}
        />`
    }
    ${
      d.basis &&
      d.basis.length > 0 &&
      html`<ul data-testid="basis">
        ${d.basis.map((b) => html`<li><b>${b.evidence}</b> (${(b.weight * 100).toFixed(0)}%): ${b.detail}</li>`)}
      </ul>`
    }
    <h4>Rejected hypotheses</h4>
    ${
      d.rejectedHypotheses && d.rejectedHypotheses.length > 0
        ? html`<ul data-testid="rejected">
            ${d.rejectedHypotheses.map((h) => html`<li><b>${h.hypothesis}</b>: ${h.reason}</li>`)}
          </ul>`
        : html`<p class="muted">The planner recorded none.</p>`
    }
    ${
      d.notes &&
      d.notes.length > 0 &&
      html`<ul class="muted">
        ${d.notes.map((n) => html`<li>${n}</li>`)}
      </ul>`
    }
  </section>`;
}

/**
 * Undo the incident's action (after the browser's own "are you sure"). A warning from the server (a newer
 * incident acted on the object since, or it changed since) is shown with its reason and an "Undo anyway".
 */
function UndoButton(props: { incident: IncidentDoc; session: Session; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [warning, setWarning] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const undo = props.incident.undo;
  if (!undo?.offered && !done) return null;
  if (!props.session.canUndo) {
    return html`<p class="muted" data-testid="undo-login">
      ${props.session.loggedIn ? "Undo is not enabled on this server." : "Log in with the API token to undo."}
    </p>`;
  }
  const ask = async (confirm: boolean) => {
    if (!confirm && !window.confirm(`Undo ${undo?.action ?? "the action"} of incident ${props.incident.id}?`))
      return;
    setBusy(true);
    setError(null);
    try {
      await postJson(
        `/ui/api/incidents/${encodeURIComponent(props.incident.id)}/undo`,
        confirm ? { confirm: true } : {},
        props.session.csrf,
      );
      setWarning(null);
      setDone("Undo sent: the action record and the timeline show what it did.");
      props.onChanged();
    } catch (err) {
      if (err instanceof ApiError && err.confirmable)
        setWarning(err.message.replace(/\. Ask again with confirm to undo anyway$/, "."));
      else setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="undo" data-testid="undo-box">
    ${
      !done &&
      html`<button class="secondary" disabled=${busy} onClick=${() => ask(false)} data-testid="undo">
        Undo ${undo?.action}
      </button>`
    }
    ${
      warning &&
      html`<p class="error" role="alert" data-testid="undo-warning">Not undone yet: ${warning}</p>
        <button disabled=${busy} onClick=${() => ask(true)} data-testid="undo-anyway">Undo anyway</button>`
    }
    ${done && html`<p class="ok">${done}</p>`} ${error && html`<p class="error" role="alert">${error}</p>`}
  </div>`;
}

function Approval(props: { incident: IncidentDoc; session: Session; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  if (!props.session.canApprove) {
    return html`<p class="approval" data-testid="approval">
      Waiting for approval.
      ${props.session.loggedIn ? "Approvals are not enabled on this server." : "Log in with the API token to approve or reject."}
    </p>`;
  }
  const answer = async (verb: "approve" | "reject") => {
    setBusy(true);
    setError(null);
    try {
      await postJson(
        `/ui/api/incidents/${encodeURIComponent(props.incident.id)}/${verb}`,
        {},
        props.session.csrf,
      );
      setDone(
        verb === "approve" ? "Approved: the agent resumes." : "Rejected: the incident is handed to people.",
      );
      props.onChanged();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="approval" data-testid="approval">
    <p>Waiting for approval to run <b>${props.incident.decision?.action}</b>.</p>
    <button disabled=${busy || done !== null} onClick=${() => answer("approve")} data-testid="approve">
      Approve
    </button>
    <button
      class="secondary"
      disabled=${busy || done !== null}
      onClick=${() => answer("reject")}
      data-testid="reject"
    >
      Reject
    </button>
    ${done && html`<p class="ok">${done}</p>`} ${error && html`<p class="error" role="alert">${error}</p>`}
  </div>`;
}
