/** The windows of the SRE workbook's multi-window, multi-burn-rate alerts: long window and its short check. */
export const FAST_WINDOWS = ["1h", "5m"] as const;
export const SLOW_WINDOWS = ["6h", "30m"] as const;

/** One user-facing SLO's state: error ratios per window turned into burn rates and the budget left. */
export interface BurnState {
  objective: number;
  /** Error ratio (0..1) over each window, undefined where Prometheus had no data. */
  ratios: Record<string, number | undefined>;
  /** ratio / (1 - objective) per window. */
  burnRates: Record<string, number | undefined>;
  /** Share of the period's budget left (1 = untouched, ≤ 0 = spent); undefined without data. */
  budgetLeft: number | undefined;
  /** Both the 1h and the 5m burn above the fast threshold (page-worthy). */
  fastBurn: boolean;
  /** Both the 6h and the 30m burn above the slow threshold (ticket-worthy). */
  slowBurn: boolean;
}

/**
 * Burn rates as the SRE workbook defines them: the error ratio over a window divided by the ratio the
 * objective allows. A burn of 1 spends the budget exactly over the period; 14.4 over 1 hour spends 2 % of a
 * 30-day budget. A window only counts together with its short window, so a burn that already stopped does
 * not keep the flag up.
 */
export function burnState(
  objectivePercent: number,
  ratios: Record<string, number | undefined>,
  periodWindow: string,
  thresholds: { fast: number; slow: number },
): BurnState {
  const allowed = 1 - objectivePercent / 100;
  const burnRates = Object.fromEntries(
    Object.entries(ratios).map(([w, r]) => [w, r === undefined ? undefined : r / allowed]),
  );
  const above = (windows: readonly string[], t: number) =>
    windows.every((w) => burnRates[w] !== undefined && burnRates[w]! > t);
  const period = ratios[periodWindow];
  return {
    objective: objectivePercent,
    ratios,
    burnRates,
    budgetLeft: period === undefined ? undefined : 1 - period / allowed,
    fastBurn: above(FAST_WINDOWS, thresholds.fast),
    slowBurn: above(SLOW_WINDOWS, thresholds.slow),
  };
}
