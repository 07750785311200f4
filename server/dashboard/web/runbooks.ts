import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { getJson, when } from "./api.ts";
import { TableHead } from "./table.ts";

interface EntrySummary {
  id: string;
  kind: string;
  title: string;
  scenario: string | null;
  actions: string[];
  verified: number;
  failed: number;
  updatedAt?: string;
  score?: number;
  reasons?: string[];
}

interface Entry {
  key: string;
  kind: string;
  title: string;
  updatedAt: string;
  content: string;
  source: string | null;
  outcomes: Array<{ incidentId: string; action: string; outcome: string; recordedAt: string }>;
}

/** The runbook memory: runbooks and learned fixes, listed or ranked by a search. */
export function Runbooks(props: { selected: string | null }) {
  const [query, setQuery] = useState("");
  const [entries, setEntries] = useState<EntrySummary[] | null>(null);
  const [entry, setEntry] = useState<Entry | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = (q: string) =>
    getJson<{ entries: EntrySummary[] }>(`/ui/api/runbooks${q ? `?q=${encodeURIComponent(q)}` : ""}`)
      .then((r) => setEntries(r.entries))
      .catch((err: Error) => setError(err.message));
  useEffect(() => void load(""), []);
  useEffect(() => {
    if (!props.selected) return setEntry(null);
    getJson<Entry>(`/ui/api/runbooks/${encodeURIComponent(props.selected)}`)
      .then(setEntry)
      .catch((err: Error) => setError(err.message));
  }, [props.selected]);

  return html`<div class="runbooks">
    <section class="card">
      <h2>Runbook memory</h2>
      <form
        onSubmit=${(e: Event) => {
          e.preventDefault();
          void load(query);
        }}
      >
        <input
          type="search"
          placeholder="Search: an alert, a symptom, log lines…"
          value=${query}
          onInput=${(e: Event) => setQuery((e.target as HTMLInputElement).value)}
          data-testid="runbook-search"
        />
        <button type="submit">Search</button>
      </form>
      ${error && html`<p class="error">${error}</p>`}
      ${
        entries === null
          ? html`<p class="muted">Loading…</p>`
          : html`<table data-testid="runbook-list">
              <${TableHead}
                columns=${["kind", "title", "family", "actions", "verified", "failed", ...(query ? ["score"] : [])]}
              />
              <tbody>
                ${entries.map(
                  (e) =>
                    html`<tr key=${e.id}>
                      <td>${e.kind}</td>
                      <td><a href=${`#/runbooks/${encodeURIComponent(e.id)}`}>${e.title}</a></td>
                      <td>${e.scenario ?? "–"}</td>
                      <td>${e.actions.join(", ")}</td>
                      <td>${e.verified}</td>
                      <td>${e.failed}</td>
                      ${e.score !== undefined && html`<td title=${(e.reasons ?? []).join("; ")}>${e.score.toFixed(2)}</td>`}
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
    </section>
    ${
      entry &&
      html`<section class="card" data-testid="runbook-entry">
        <h3>${entry.title}</h3>
        <p class="muted">${entry.kind} · ${entry.source ?? entry.key} · updated ${when(entry.updatedAt)}</p>
        ${
          entry.outcomes.length > 0 &&
          html`<ul>
            ${entry.outcomes.map((o) => html`<li>${when(o.recordedAt)}: ${o.action} → <b>${o.outcome}</b> (<a href=${`#/incidents/${o.incidentId}`}>${o.incidentId}</a>)</li>`)}
          </ul>`
        }
        <pre>${entry.content}</pre>
      </section>`
    }
  </div>`;
}
