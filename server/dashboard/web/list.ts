import { html } from "htm/preact";
import type { RowFilter } from "../rowFilter.ts";
import { INCIDENT_STATUSES } from "../../../core/types.ts";
import { duration, when, type IncidentRow } from "./api.ts";
import { TableHead } from "./table.ts";

/** The list's state: the rows shown, where the next page starts, and how the list is filtered. */
export interface ListState {
  rows: IncidentRow[];
  next: string | null;
  /** Set when the listing stopped at the newest N incidents. */
  window: number | null;
  loading: boolean;
  /** The query string of the listing shown (tests wait for it). */
  loaded: string | null;
}

/** The incident list, newest first, filtered; rows arrive live from the server-sent events. */
export function IncidentList(props: {
  list: ListState;
  live: boolean;
  filter: RowFilter;
  onFilter: (f: RowFilter) => void;
  onMore: () => void;
}) {
  const f = props.filter;
  const set = (patch: RowFilter) => props.onFilter({ ...f, ...patch });
  const filtered = Boolean(f.status || f.source || f.target);
  return html`<section class="card" data-testid="incidents" data-loaded=${props.list.loaded ?? ""}>
    <h2>
      Incidents
      <span class=${`live ${props.live ? "on" : "off"}`} data-testid="live"
        >${props.live ? "live" : "reconnecting"}</span
      >
    </h2>
    <form class="filters" data-testid="filters" onSubmit=${(e: Event) => e.preventDefault()}>
      <label
        >status
        <select
          name="status"
          value=${f.status ?? ""}
          onChange=${(e: Event) => set({ status: (e.target as HTMLSelectElement).value || undefined })}
        >
          <option value="">any</option>
          ${INCIDENT_STATUSES.map((s) => html`<option value=${s}>${s.replace("_", " ")}</option>`)}
        </select></label
      >
      <label
        >source
        <select
          name="source"
          value=${f.source ?? ""}
          onChange=${(e: Event) =>
            set({
              source: ((e.target as HTMLSelectElement).value || undefined) as RowFilter["source"],
            })}
        >
          <option value="">any</option>
          <option value="alert">alert</option>
          <option value="predictive">predictive</option>
        </select></label
      >
      <label
        >service or target
        <input
          name="target"
          type="search"
          placeholder="e.g. checkout"
          value=${f.target ?? ""}
          onChange=${(e: Event) => set({ target: (e.target as HTMLInputElement).value.trim() || undefined })}
      /></label>
      ${filtered && html`<button type="button" class="link" onClick=${() => props.onFilter({})}>clear</button>`}
    </form>
    ${
      props.list.rows.length === 0
        ? html`<p class="muted" data-testid="no-incidents">
            ${
              props.list.loading
                ? "Loading…"
                : filtered
                  ? "No incident matches this filter."
                  : html`No incidents yet. Alerts posted to <code>/alerts</code> show up here.`
            }
          </p>`
        : html`<table class="list" data-testid="incident-list">
            <${TableHead} columns=${["status", "alert", "target", "action", "received", "recovery"]} />
            <tbody>
              ${props.list.rows.map(
                (r) =>
                  html`<tr key=${r.id} data-testid="incident-row" data-id=${r.id}>
                    <td><span class=${`badge ${r.status}`}>${r.status.replace("_", " ")}</span></td>
                    <td>
                      <a href=${`#/incidents/${r.id}`}>${r.title}</a>
                      ${r.source === "predictive" && html` <span class="tag">predicted</span>`}
                    </td>
                    <td>${r.target}</td>
                    <td>${r.action ?? "–"}</td>
                    <td>${when(r.receivedAt)}</td>
                    <td>${duration(r.mttrMs)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    ${
      props.list.next &&
      html`<p>
        <button class="secondary" disabled=${props.list.loading} onClick=${props.onMore} data-testid="more">
          Show older
        </button>
      </p>`
    }
    ${
      !props.list.next &&
      props.list.window !== null &&
      html`<p class="muted">The list goes back as far as the newest ${props.list.window} incidents.</p>`
    }
  </section>`;
}
