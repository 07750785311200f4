import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { getJson, when } from "./api.ts";
import { ChartView, COLORS } from "./chart.ts";

interface Stats {
  window: number;
  byStatus: Record<string, number>;
  recoveries: Array<{ id: string; at: string; seconds: number }>;
  actions: Record<string, Record<string, number>>;
}

interface Autonomy {
  actions: string[];
  rows: Array<{ scope: string; modes: Record<string, string> }>;
}

const OUTCOMES = ["verified", "unverified", "failed", "skipped"];

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Recovery, actions by outcome and autonomy per service, over the newest incidents. */
export function Overview(props: { version: number }) {
  const [stats, setStats] = useState<Stats | null>(null);
  const [autonomy, setAutonomy] = useState<Autonomy | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    Promise.all([getJson<Stats>("/ui/api/stats"), getJson<Autonomy>("/ui/api/autonomy")])
      .then(([s, a]) => {
        setStats(s);
        setAutonomy(a);
      })
      .catch((err: Error) => setError(err.message));
  }, [props.version]);
  if (error) return html`<p class="error">${error}</p>`;
  if (!stats || !autonomy) return html`<p class="muted">Loading…</p>`;

  const seconds = stats.recoveries.map((r) => r.seconds).sort((a, b) => a - b);
  const finished = ["resolved", "failed", "escalated"].reduce((n, s) => n + (stats.byStatus[s] ?? 0), 0);
  const healed = stats.byStatus.resolved ?? 0;
  const actionNames = Object.keys(stats.actions).sort();
  const fmt = (s: number | null) =>
    s === null ? "–" : s < 90 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`;

  return html`<div class="overview" data-testid="overview">
    <section class="card" data-testid="slo">
      <h2>Service levels</h2>
      <div class="figures">
        <div>
          <b>${finished > 0 ? `${((healed / finished) * 100).toFixed(0)}%` : "–"}</b
          ><span>healed of finished (${healed}/${finished})</span>
        </div>
        <div><b>${fmt(quantile(seconds, 0.5))}</b><span>median time to recovery</span></div>
        <div><b>${fmt(quantile(seconds, 0.9))}</b><span>p90 time to recovery</span></div>
        <div>
          <b
            >${(stats.byStatus.awaiting_approval ?? 0) + (stats.byStatus.investigating ?? 0) + (stats.byStatus.acting ?? 0) + (stats.byStatus.verifying ?? 0) + (stats.byStatus.open ?? 0)}</b
          ><span>open now</span>
        </div>
        <div><b>${stats.byStatus.escalated ?? 0}</b><span>escalated to people</span></div>
      </div>
      <p class="muted">
        Over the newest ${stats.window} incidents. Per-service SLOs with error budgets and burn rates show
        here once the policy defines them.
      </p>
    </section>

    <section class="card">
      <h3>Time to recovery</h3>
      ${
        stats.recoveries.length === 0
          ? html`<p class="muted">No resolved incident yet.</p>`
          : html`<${ChartView}
              testid="recovery-chart"
              config=${{
                type: "line",
                data: {
                  labels: stats.recoveries.map((r) => when(r.at)),
                  datasets: [
                    {
                      label: "seconds from alert to verified",
                      data: stats.recoveries.map((r) => r.seconds),
                      borderColor: COLORS.positive,
                      backgroundColor: COLORS.positive,
                    },
                  ],
                },
                options: {
                  maintainAspectRatio: false,
                  scales: { y: { beginAtZero: true, title: { display: true, text: "seconds" } } },
                },
              }}
            />`
      }
    </section>

    <section class="card">
      <h3>Actions by type and outcome</h3>
      ${
        actionNames.length === 0
          ? html`<p class="muted">No action taken yet.</p>`
          : html`<${ChartView}
              testid="actions-chart"
              config=${{
                type: "bar",
                data: {
                  labels: actionNames,
                  datasets: OUTCOMES.map((o) => ({
                    label: o,
                    data: actionNames.map((a) => stats.actions[a]?.[o] ?? 0),
                    backgroundColor: COLORS[o],
                    maxBarThickness: 60,
                  })),
                },
                options: {
                  maintainAspectRatio: false,
                  scales: {
                    x: { stacked: true },
                    y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
                  },
                },
              }}
            />`
      }
    </section>

    <section class="card">
      <h3>Autonomy per service and action</h3>
      <p class="muted">
        From the policy file: <b>auto</b> acts, <b>approve</b> asks a person first, <b>advise</b> only
        recommends.
      </p>
      <div class="scroll">
        <table class="autonomy" data-testid="autonomy">
          <thead>
            <tr>
              <th></th>
              ${autonomy.actions.map((a) => html`<th class="vertical"><span>${a}</span></th>`)}
            </tr>
          </thead>
          <tbody>
            ${autonomy.rows.map(
              (r) =>
                html`<tr>
                  <th>${r.scope}</th>
                  ${autonomy.actions.map((a) => html`<td class=${`mode ${r.modes[a]}`}>${r.modes[a]}</td>`)}
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
    </section>
  </div>`;
}
