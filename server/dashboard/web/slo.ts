import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { getJson } from "./api.ts";
import { TableHead } from "./table.ts";

interface Burn {
  /** Percent, as the policy writes it (99.9). */
  objective: number;
  burnRates: Record<string, number | undefined>;
  budgetLeft: number | undefined;
  fastBurn: boolean;
  slowBurn: boolean;
}

interface SloDoc {
  available: boolean;
  slos?: Array<{
    service: string;
    latency?: Burn & { thresholdMs: number };
    availability?: Burn;
    failedHeals: { count: number; maxPerWeek: number; spent: boolean };
    errors: string[];
  }>;
  actions?: Array<{
    service: string;
    action: string;
    success: number;
    failure: number;
    rate: number | undefined;
    passes: boolean;
    auto: { by: string } | undefined;
  }>;
  breakers?: Array<{ target: string; failures: number; open: boolean; openUntil: string | undefined }>;
}

const WINDOWS = ["1h", "5m", "6h", "30m"];
const pct = (x: number | undefined, digits = 0) => (x === undefined ? "–" : `${(x * 100).toFixed(digits)}%`);
const rate = (x: number | undefined) => (x === undefined ? "–" : x.toFixed(1));

function burnRow(service: string, kind: string, b: Burn) {
  return html`<tr>
    <td>${service}</td>
    <td>${kind}</td>
    <td>${`${b.objective}%`}</td>
    <td class=${b.budgetLeft !== undefined && b.budgetLeft <= 0 ? "bad" : ""}>${pct(b.budgetLeft)}</td>
    ${WINDOWS.map((w) => html`<td>${rate(b.burnRates[w])}</td>`)}
    <td>
      ${b.fastBurn ? html`<span class="bad">fast burn</span>` : b.slowBurn ? html`<span class="bad">slow burn</span>` : "ok"}
    </td>
  </tr>`;
}

/** Per-service SLOs with error budget and burn rates, the failed-heal budget, earned autonomy and breakers. */
export function SloPanel(props: { version: number }) {
  const [doc, setDoc] = useState<SloDoc | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<SloDoc>("/ui/api/slo")
      .then(setDoc)
      .catch((err: Error) => setError(err.message));
  }, [props.version]);
  if (error) return html`<p class="error">${error}</p>`;
  if (!doc) return html`<p class="muted">Loading SLOs…</p>`;
  if (!doc.available || !doc.slos) return html`<p class="muted">SLOs are not available on this server.</p>`;
  const burns = doc.slos.flatMap((s) => [
    ...(s.availability ? [burnRow(s.service, "availability", s.availability)] : []),
    ...(s.latency ? [burnRow(s.service, `latency < ${s.latency.thresholdMs} ms`, s.latency)] : []),
  ]);
  return html`<div data-testid="slo-table">
    ${
      burns.length === 0
        ? html`<p class="muted">
            No SLO in the policy (<code>slos:</code>); add one to see its budget and burn rates.
          </p>`
        : html`<table>
            <${TableHead}
              columns=${["service", "SLO", "objective", "budget left", ...WINDOWS.map((w) => `burn ${w}`), ""]}
            />
            <tbody>
              ${burns}
            </tbody>
          </table>`
    }
    ${
      doc.slos.some((s) => s.errors.length > 0) &&
      html`<p class="error">
        ${doc.slos.flatMap((s) => s.errors.map((e) => `${s.service}: ${e}`)).join("; ")}
      </p>`
    }
    ${
      doc.slos.length > 0 &&
      html`<h4>Failed-heal budget (this week)</h4>
        <ul>
          ${doc.slos.map(
            (s) =>
              html`<li>
                ${s.service}: ${s.failedHeals.count} of ${s.failedHeals.maxPerWeek}
                ${s.failedHeals.spent ? html`<span class="bad"> spent: back to approve</span>` : ""}
              </li>`,
          )}
        </ul>`
    }
    ${
      doc.actions &&
      doc.actions.length > 0 &&
      html`<h4>Earned autonomy (each action's record)</h4>
        <table>
          <${TableHead} columns=${["service", "action", "verified", "failed", "rate", "earned"]} />
          <tbody>
            ${doc.actions.map(
              (a) =>
                html`<tr>
                  <td>${a.service}</td>
                  <td>${a.action}</td>
                  <td>${a.success}</td>
                  <td>${a.failure}</td>
                  <td>${pct(a.rate)}</td>
                  <td>${a.auto ? `auto (by ${a.auto.by})` : a.passes ? "passes the bar" : "not yet"}</td>
                </tr>`,
            )}
          </tbody>
        </table>`
    }
    ${
      doc.breakers &&
      doc.breakers.some((b) => b.open) &&
      html`<h4>Open circuit breakers</h4>
        <ul>
          ${doc.breakers.filter((b) => b.open).map((b) => html`<li class="bad">${b.target}: ${b.failures} failed heals</li>`)}
        </ul>`
    }
  </div>`;
}
