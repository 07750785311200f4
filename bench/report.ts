/** One figure a benchmark measured, with the goal it is held to. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** Human-readable goal, e.g. ">= 2000", or "" when the figure is informative only. */
  goal: string;
  ok: boolean;
}

/** A benchmark `bench/run.ts` knows how to run. */
export interface Bench {
  name: string;
  run(): Promise<BenchRow[]>;
}

/** A figure printed for context, held to no goal. */
export function infoRow(name: string, value: number, unit: string): BenchRow {
  return { name, value, unit, goal: "", ok: true };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Rows as an aligned plain-text table for people. */
export function formatTable(rows: ReadonlyArray<BenchRow & { bench: string }>): string {
  const head = ["bench", "figure", "value", "unit", "goal", "ok"];
  const body = rows.map((r) => [
    r.bench,
    r.name,
    formatValue(r.value),
    r.unit,
    r.goal || "-",
    r.ok ? "yes" : "NO",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2);
}
