import { html } from "htm/preact";
import { duration, when, type IncidentRow } from "./api.ts";

/** The incident list, newest first; rows arrive live from the server-sent events. */
export function IncidentList(props: { rows: IncidentRow[]; live: boolean }) {
  return html`<section class="card">
    <h2>
      Incidents
      <span class=${`live ${props.live ? "on" : "off"}`} data-testid="live"
        >${props.live ? "live" : "reconnecting"}</span
      >
    </h2>
    ${
      props.rows.length === 0
        ? html`<p class="muted">No incidents yet. Alerts posted to <code>/alerts</code> show up here.</p>`
        : html`<table class="list" data-testid="incident-list">
            <thead>
              <tr>
                <th>status</th>
                <th>alert</th>
                <th>target</th>
                <th>action</th>
                <th>received</th>
                <th>recovery</th>
              </tr>
            </thead>
            <tbody>
              ${props.rows.map(
                (r) =>
                  html`<tr key=${r.id} data-testid="incident-row" data-id=${r.id}>
                    <td><span class=${`badge ${r.status}`}>${r.status.replace("_", " ")}</span></td>
                    <td><a href=${`#/incidents/${r.id}`}>${r.title}</a></td>
                    <td>${r.target}</td>
                    <td>${r.action ?? "–"}</td>
                    <td>${when(r.receivedAt)}</td>
                    <td>${duration(r.mttrMs)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
  </section>`;
}
