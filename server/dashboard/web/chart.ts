import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from "chart.js";
import { html } from "htm/preact";
import { useEffect, useRef } from "preact/hooks";

// Only what the pages draw: bars and lines on category/linear axes (keeps the bundle small).
Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  Legend,
);
Chart.defaults.animation = false;

/** A Chart.js chart in a canvas, rebuilt when its configuration changes. */
export function ChartView(props: { config: ChartConfiguration; height?: number; testid?: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, props.config);
    return () => chart.destroy();
  }, [JSON.stringify(props.config.data), props.config.type]);
  return html`<div class="chart" style=${`height:${props.height ?? 220}px`} data-testid=${props.testid}>
    <canvas ref=${canvas}></canvas>
  </div>`;
}

/** Colours for outcomes and series, readable on the light theme. */
export const COLORS: Record<string, string> = {
  verified: "#2e7d32",
  unverified: "#f9a825",
  failed: "#c62828",
  skipped: "#9e9e9e",
  positive: "#1565c0",
  negative: "#c62828",
};
