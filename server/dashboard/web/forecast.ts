import type { ChartConfiguration } from "chart.js";
import { html } from "htm/preact";
import type { ForecastView, Point } from "../forecast.ts";
import { formatBytes, formatSeconds } from "../../../core/units.ts";
import { ChartView, COLORS } from "./chart.ts";

/** A value in the series' unit, for axis ticks and the caption. */
function fmt(v: number, unit: ForecastView["unit"]): string {
  if (unit === "bytes") return formatBytes(v);
  if (unit === "seconds") return formatSeconds(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString();
}

const clock = (t: number) => new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
const xy = (ps: Point[]) => ps.map((p) => ({ x: p.t, y: p.v }));

/** The forecast of a predictive incident: the series, its projection, the limit and the predicted crossing. */
export function ForecastChart(props: { forecast: ForecastView }) {
  const f = props.forecast;
  const all = [...f.observed, ...f.projected];
  const xs = [...all.map((p) => p.t), f.crossingHigh ?? 0, f.crossingAt ?? 0].filter((t) => t > 0);
  const from = Math.min(...xs);
  const to = Math.max(...xs);
  const crossings = [f.crossingLow, f.crossingHigh].filter((t): t is number => t !== null);
  const config: ChartConfiguration<"line", Array<{ x: number; y: number }>> = {
    type: "line",
    data: {
      datasets: [
        ...(f.observed.length > 0
          ? [
              {
                label: f.series,
                data: xy(f.observed),
                borderColor: COLORS.positive,
                backgroundColor: COLORS.positive,
                pointRadius: 0,
              },
            ]
          : []),
        {
          label: "forecast",
          data: xy(f.projected),
          borderColor: COLORS.positive,
          backgroundColor: COLORS.positive,
          borderDash: [6, 4],
          pointRadius: 0,
        },
        {
          label: f.limitLabel,
          data: [
            { x: from, y: f.limit },
            { x: to, y: f.limit },
          ],
          borderColor: COLORS.negative,
          backgroundColor: COLORS.negative,
          borderDash: [2, 3],
          pointRadius: 0,
        },
        ...(f.crossingAt !== null
          ? [
              {
                label: `predicted crossing ${clock(f.crossingAt)}`,
                data: [{ x: f.crossingAt, y: f.limit }],
                borderColor: COLORS.negative,
                backgroundColor: COLORS.negative,
                pointRadius: 6,
                showLine: false,
              },
            ]
          : []),
        ...(crossings.length > 0
          ? [
              {
                label: "earliest and latest crossing",
                data: crossings.map((t) => ({ x: t, y: f.limit })),
                borderColor: COLORS.negative,
                backgroundColor: "#fff",
                pointRadius: 4,
                pointStyle: "rectRot" as const,
                showLine: false,
              },
            ]
          : []),
      ],
    },
    options: {
      maintainAspectRatio: false,
      scales: {
        x: { type: "linear", min: from, max: to, ticks: { callback: (v) => clock(Number(v)) } },
        y: {
          title: { display: true, text: f.series },
          ticks: { callback: (v) => fmt(Number(v), f.unit) },
        },
      },
    },
  };
  return html`<section class="card" data-testid="forecast">
    <h3>Forecast</h3>
    <p>${f.message}</p>
    ${
      f.crossingAt !== null &&
      html`<p class="muted" data-testid="forecast-crossing">
        The forecast meets the ${f.limitLabel} (${fmt(f.limit, f.unit)}) at${" "}
        <b>${clock(f.crossingAt)}</b>${
          f.crossingLow !== null && f.crossingHigh !== null
            ? ` (between ${clock(f.crossingLow)} and ${clock(f.crossingHigh)})`
            : ""
        }.
      </p>`
    }
    <${ChartView} testid="forecast-chart" config=${config as unknown as ChartConfiguration} />
  </section>`;
}
