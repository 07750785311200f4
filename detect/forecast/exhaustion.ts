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
  /** The upper envelope (fit plus the largest recent peak above it) at the last sample: what meets the limit. */
  top: number;
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
  // A GC sawtooth: what reaches the limit grows at the rate of what survives each collection (the troughs),
  // not at the least-squares line's, which the rising phases steepen; its peaks ride on the troughs.
  // The rising phases steepen the line by at most about (g − rate)/cycles²: a trough rate far below the
  // line's (or above it) means collections were misread, and the line (early, so on the safe side) stands.
  const fit = sawtoothFit(x, y, tau);
  const saw =
    fit !== undefined && fit.rate >= MIN_SAW_RATIO * slope && fit.rate <= MAX_SAW_RATIO * slope
      ? fit
      : undefined;
  const growth = saw?.rate ?? slope;
  const top = Math.max(saw !== undefined ? saw.atLast + saw.peak : intercept + peak, last.v);
  const gap = limit - top;
  const etaMin = (s: number) => (s <= 0 ? Number.POSITIVE_INFINITY : Math.max(gap, 0) / s);
  const etaMs = etaMin(growth) * 60_000;
  const etaLowMs = etaMin(growth + 2 * se) * 60_000;
  const etaHighMs = etaMin(growth - 2 * se) * 60_000;
  const significant = slope > 0 && tStat >= o.minTStat;
  const alarm = significant && etaMs <= o.horizonMs && intercept > before;
  // Confidence grows with the t statistic and shrinks with the band's relative width.
  const bandWidth = Number.isFinite(etaHighMs) && etaMs > 0 ? (etaHighMs - etaLowMs) / (2 * etaMs) : 1;
  const confidence =
    slope > 0 ? clamp01((1 - Math.exp(-tStat / o.minTStat)) * (1 - Math.min(bandWidth, 1) / 2)) : 0;
  return {
    slopePerMin: growth,
    current: last.v,
    top,
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

/**
 * Fit of a GC sawtooth on the ramp (x ≥ τ): memory drops at each collection (a fall between two samples
 * beyond 3.5σ of the sample-to-sample noise), then grows again. With at least two collections seen, each
 * complete cycle k starting at s_k is fitted as y = a + rate·s_k + g·(x − s_k): `rate` is the leak (what
 * each collection leaves behind), g the allocation rate inside a cycle. Undefined when there is no sawtooth.
 */
function sawtoothFit(
  x: Float64Array,
  y: Float64Array,
  tau: number,
): { rate: number; atLast: number; peak: number } | undefined {
  const n = x.length;
  let first = 0;
  while (first < n && x[first]! < tau) first++;
  if (n - first < 4) return undefined;
  const diffs: number[] = [];
  for (let i = first + 1; i < n; i++) diffs.push(y[i]! - y[i - 1]!);
  const med = median(diffs);
  const noise = median(diffs.map((d) => Math.abs(d - med))) / 0.6745 / Math.SQRT2 || 0;
  const drop = -Math.max(DROP_SIGMAS * noise * Math.SQRT2, 1e-9);
  const starts: number[] = [];
  for (let i = first + 1; i < n; i++) {
    if (y[i]! - y[i - 1]! - med >= drop) continue;
    // Collections closer than MIN_CYCLE samples cannot be told from noise: keep the deeper fall.
    const prev = starts[starts.length - 1];
    if (prev !== undefined && i - prev < MIN_CYCLE) {
      if (y[i]! - y[i - 1]! < y[prev]! - y[prev - 1]!) starts[starts.length - 1] = i;
    } else starts.push(i);
  }
  if (starts.length < 2) return undefined;
  // Normal equations of y = a + rate·s + g·(x − s) over the samples from the first collection on.
  const m = new Float64Array(9);
  const v = new Float64Array(3);
  let k = 0;
  for (let i = starts[0]!; i < n; i++) {
    while (k + 1 < starts.length && starts[k + 1]! <= i) k++;
    const s = x[starts[k]!]!;
    const f = [1, s, x[i]! - s];
    for (let r = 0; r < 3; r++) {
      v[r]! += f[r]! * y[i]!;
      for (let c = 0; c < 3; c++) m[r * 3 + c]! += f[r]! * f[c]!;
    }
  }
  const sol = solve3(m, v);
  if (sol === undefined) return undefined;
  const [a, rate, g] = sol;
  const trough = (t: number) => a + rate * t;
  let peak = 0;
  let ssr = 0;
  k = 0;
  for (let i = starts[0]!; i < n; i++) {
    while (k + 1 < starts.length && starts[k + 1]! <= i) k++;
    const s = x[starts[k]!]!;
    const r = y[i]! - (a + rate * s + g * (x[i]! - s));
    ssr += r * r;
    peak = Math.max(peak, y[i]! - trough(x[i]!));
  }
  // A collection read into noise (or one missed) leaves residuals well above the noise: no sawtooth then.
  const fitted = n - starts[0]!;
  if (fitted <= 3 || Math.sqrt(ssr / (fitted - 3)) > MAX_RESIDUAL_NOISE * noise) return undefined;
  return { rate, atLast: trough(x[n - 1]!), peak };
}

const DROP_SIGMAS = 3.5;
const MIN_CYCLE = 3;
const MAX_RESIDUAL_NOISE = 1.5;
const MIN_SAW_RATIO = 0.6;
const MAX_SAW_RATIO = 1.05;

/** Solves the 3×3 system m·p = v (Cramer's rule); undefined when it is singular. */
function solve3(m: Float64Array, v: Float64Array): [number, number, number] | undefined {
  const det = (a: ArrayLike<number>) =>
    a[0]! * (a[4]! * a[8]! - a[5]! * a[7]!) -
    a[1]! * (a[3]! * a[8]! - a[5]! * a[6]!) +
    a[2]! * (a[3]! * a[7]! - a[4]! * a[6]!);
  const d = det(m);
  if (!(Math.abs(d) > 1e-12)) return undefined;
  const col = (c: number) => {
    const a = Float64Array.from(m);
    for (let r = 0; r < 3; r++) a[r * 3 + c] = v[r]!;
    return det(a) / d;
  };
  return [col(0), col(1), col(2)];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length === 0 ? 0 : s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
