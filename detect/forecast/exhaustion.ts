/** A sample of a resource's use: time in ms, value in the resource's unit (bytes). */
export interface Sample {
  t: number;
  v: number;
}

/** Options of the time-to-exhaustion forecast. */
export interface ExhaustionOptions {
  /** Only the most recent samples within this window (ms) are fitted: a leak's slope, not last week's. */
  windowMs: number;
  /** Fewest samples for a fit. */
  minSamples: number;
  /** Slope / standard error at or above which growth counts as real. */
  minTStat: number;
  /** Raise only when exhaustion is due within this horizon (ms). */
  horizonMs: number;
  /** Shortest growth (ms) that counts: one step up (a cache filled, a batch loaded) is not a leak. */
  minRampMs: number;
}

/** Defaults: fit the last 10 minutes, at least 8 samples, t ≥ 6, growth over 4 minutes or more, raise within 30 minutes. */
export const DEFAULT_EXHAUSTION_OPTIONS: ExhaustionOptions = {
  windowMs: 10 * 60_000,
  minSamples: 8,
  minTStat: 6,
  horizonMs: 30 * 60_000,
  minRampMs: 4 * 60_000,
};

/** What the forecast says about one resource. */
export interface ExhaustionForecast {
  /** Growth per minute, in the resource's unit. */
  slopePerMin: number;
  /** The most recent value. */
  current: number;
  limit: number;
  /** Time of the last sample (ms). */
  at: number;
  /** Expected time (ms after `at`) until the upper envelope reaches the limit; Infinity when not growing. */
  etaMs: number;
  /** The band of the expected time from the slope's ±2 standard errors (ms; Infinity when open-ended). */
  etaLowMs: number;
  etaHighMs: number;
  /** Slope over its standard error. */
  tStat: number;
  /** Confidence in [0, 1] that the resource runs out as forecast (from the fit's t statistic and band). */
  confidence: number;
  /** True when growth is significant and the limit is due within the horizon. */
  alarm: boolean;
  /** Samples fitted. */
  samples: number;
}

/**
 * Time until a growing resource reaches its limit (memory working set → container limit, disk use →
 * capacity). A least-squares line over the recent window gives the growth; the line plus the largest recent
 * excursion above it (a GC sawtooth's peaks, a step's top) is what meets the limit, since the kernel kills at
 * the peak, not at the mean. Returns undefined when there are too few samples.
 */
export function forecastExhaustion(
  samples: readonly Sample[],
  limit: number,
  opts: Partial<ExhaustionOptions> = {},
): ExhaustionForecast | undefined {
  const o = { ...DEFAULT_EXHAUSTION_OPTIONS, ...opts };
  const last = samples[samples.length - 1];
  if (last === undefined || !(limit > 0)) return undefined;
  const from = last.t - o.windowMs;
  let start = samples.length - 1;
  while (start > 0 && samples[start - 1]!.t >= from) start--;
  const n = samples.length - start;
  if (n < o.minSamples) return undefined;

  // A leak starts somewhere: fit a hinge (flat, then a straight line from τ) for every candidate τ in the
  // window, τ at the window's start being a plain line, and keep the best fit. Times are in minutes.
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = (samples[start + i]!.t - last.t) / 60_000;
    y[i] = samples[start + i]!.v;
  }
  let best: Fit | undefined;
  const latestTau = -(o.minRampMs / 60_000);
  for (let k = 0; k <= n - o.minSamples && (k === 0 || x[k]! <= latestTau); k++) {
    const fit = hingeFit(x, y, x[k]!);
    if (fit !== undefined && (best === undefined || fit.ssr < best.ssr)) best = fit;
  }
  if (best === undefined) return undefined;
  const { slope, intercept, ssr, sxx, peak, rho, tau } = best;
  // Growth that stays inside the range the series already showed before it (a swing, a wander) is not
  // heading anywhere new: raise only once the fitted level breaks out above that range.
  const rampStart = last.t + Math.min(tau, x[0]!) * 60_000;
  let before = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < samples.length && samples[i]!.t < rampStart; i++)
    before = Math.max(before, samples[i]!.v);
  // Residuals that follow each other (steps, a sawtooth) carry less information than independent noise:
  // the AR(1) variance inflation keeps one big step from passing for steady growth.
  const se = Math.sqrt(ssr / Math.max(n - 2, 1) / sxx) * Math.sqrt((1 + rho) / (1 - rho));
  const tStat = se > 0 ? slope / se : slope > 0 ? Number.POSITIVE_INFINITY : 0;
  const top = Math.max(intercept + peak, last.v);
  const gap = limit - top;
  const etaMin = (s: number) => (s <= 0 ? Number.POSITIVE_INFINITY : Math.max(gap, 0) / s);
  const etaMs = etaMin(slope) * 60_000;
  const etaLowMs = etaMin(slope + 2 * se) * 60_000;
  const etaHighMs = etaMin(slope - 2 * se) * 60_000;
  const significant = slope > 0 && tStat >= o.minTStat;
  const alarm = significant && etaMs <= o.horizonMs && intercept > before;
  // Confidence grows with the t statistic and shrinks with the band's relative width.
  const bandWidth = Number.isFinite(etaHighMs) && etaMs > 0 ? (etaHighMs - etaLowMs) / (2 * etaMs) : 1;
  const confidence =
    slope > 0 ? clamp01((1 - Math.exp(-tStat / o.minTStat)) * (1 - Math.min(bandWidth, 1) / 2)) : 0;
  return {
    slopePerMin: slope,
    current: last.v,
    limit,
    at: last.t,
    etaMs,
    etaLowMs,
    etaHighMs,
    tStat,
    confidence,
    alarm,
    samples: n,
  };
}

interface Fit {
  slope: number;
  /** The fitted value at the last sample. */
  intercept: number;
  ssr: number;
  /** Spread of the hinge feature (for the slope's standard error). */
  sxx: number;
  /** Largest residual above the fit. */
  peak: number;
  /** Lag-1 autocorrelation of the residuals (0 when negative). */
  rho: number;
  /** Where the growth starts (minutes before the last sample; ≤ 0). */
  tau: number;
}

/** Least squares of y = a + b·max(0, x − τ). */
function hingeFit(x: Float64Array, y: Float64Array, tau: number): Fit | undefined {
  const n = x.length;
  let sh = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sh += Math.max(0, x[i]! - tau);
    sy += y[i]!;
  }
  const mh = sh / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const h = Math.max(0, x[i]! - tau) - mh;
    sxx += h * h;
    sxy += h * (y[i]! - my);
  }
  if (sxx <= 0) return undefined;
  const slope = sxy / sxx;
  const a = my - slope * mh;
  let ssr = 0;
  let peak = 0;
  let lag = 0;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const r = y[i]! - (a + slope * Math.max(0, x[i]! - tau));
    ssr += r * r;
    if (i > 0) lag += r * prev;
    prev = r;
    if (r > peak) peak = r;
  }
  const rho = ssr > 0 ? Math.min(Math.max(lag / ssr, 0), 0.95) : 0;
  return { slope, intercept: a + slope * Math.max(0, x[n - 1]! - tau), ssr, sxx, peak, rho, tau };
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
