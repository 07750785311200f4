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
  /** What meets the limit: the line plus its largest recent excursion, or the sawtooth's current peak. */
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
  const significant = slope > 0 && tStat >= o.minTStat;
  // A GC sawtooth: what reaches the limit grows at the rate of what survives each collection (the troughs),
  // not at the least-squares line's, which the rising phases steepen; its peaks ride on the troughs, and the
  // kernel kills at a peak. The rising phases steepen the line by at most about (g − rate)/cycles²: a
  // trough rate far below the line's (or above it) means collections were misread, and the line (early,
  // so on the safe side) stands. Collections too small to see one by one are searched for only when the
  // growth is significant (the search costs a few thousand fits).
  const fit = sawtoothFit(x, y, o.minSamples, latestTau, tau, significant);
  const saw =
    fit !== undefined && fit.rate >= MIN_SAW_RATIO * slope && fit.rate <= MAX_SAW_RATIO * slope
      ? fit
      : undefined;
  const growth = saw?.rate ?? slope;
  const step = n > 1 ? -x[0]! / (n - 1) : 0;
  // What meets the limit: the sawtooth's peak of the cycle in progress, or the line plus its largest excursion.
  const top = Math.max(
    saw !== undefined
      ? saw.base +
          saw.rate * (saw.lastStart - saw.tau) +
          Math.max(saw.g, 0) * Math.max(saw.period - step, -saw.lastStart)
      : intercept + peak,
    last.v,
  );
  const gap = limit - top;
  const etaAt = (rate: number) => {
    if (rate <= 0) return Number.POSITIVE_INFINITY;
    return (
      (saw !== undefined ? sawtoothEta({ ...saw, rate }, limit, step) : Math.max(gap, 0) / rate) * 60_000
    );
  };
  const etaMs = etaAt(growth);
  const etaLowMs = Math.min(etaAt(growth + 2 * se), etaMs);
  const etaHighMs = Math.max(etaAt(growth - 2 * se), etaMs);
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

/** A GC sawtooth read from a window: troughs grow at `rate`, collections come every `period` minutes. */
interface SawtoothFit {
  /** Growth of the troughs (what each collection leaves behind) per minute. */
  rate: number;
  /** Allocation rate inside a cycle, per minute. */
  g: number;
  /** The trough line: trough(s) = base + rate·(s − tau) for a cycle starting at s (minutes, ≤ 0). */
  base: number;
  tau: number;
  /** Start of the last cycle seen (minutes, ≤ 0) and the typical time between collections (minutes). */
  lastStart: number;
  period: number;
  /** Sample-to-sample noise (one sample's standard deviation). */
  noise: number;
}

/**
 * Fit of a GC sawtooth: memory drops at each collection (a fall between two samples beyond 3.5σ of the
 * sample-to-sample noise), then grows again. For each candidate onset τ the model is flat before τ, and
 * each cycle k (the first one starting at τ, the others at the collections s_k) follows
 * y = base + rate·(s_k − τ) + g·(x − s_k): `rate` is the leak (what each collection leaves behind), g the
 * allocation rate inside a cycle. Pinning the troughs to the level before the onset is what makes five
 * minutes enough: the flat part fixes where the trough line starts. With τ at the window's start (no
 * flat part seen) the fit starts at the first collection with a free base. The onset with the smallest
 * residual wins; undefined when there is no sawtooth (fewer than two collections, or residuals that
 * show collections misread).
 */
function sawtoothFit(
  x: Float64Array,
  y: Float64Array,
  minSamples: number,
  latestTau: number,
  hingeTau: number,
  searchPeriodic: boolean,
): SawtoothFit | undefined {
  const n = x.length;
  if (n < 4) return undefined;
  // One sample's noise from second differences: a steady rise, flat or steep, leaves only the noise there.
  const second: number[] = [];
  for (let i = 1; i < n - 1; i++) second.push(Math.abs(y[i + 1]! - 2 * y[i]! + y[i - 1]!));
  const noise = median(second) / 0.6745 / Math.sqrt(6) || 0;
  const drop = -Math.max(DROP_SIGMAS * noise * Math.SQRT2, 1e-9);
  const starts: number[] = [];
  for (let i = 1; i < n; i++) {
    if (y[i]! - y[i - 1]! >= drop) continue;
    // Collections closer than MIN_CYCLE samples cannot be told from noise: keep the deeper fall.
    const prev = starts[starts.length - 1];
    if (prev !== undefined && i - prev < MIN_CYCLE) {
      if (y[i]! - y[i - 1]! < y[prev]! - y[prev - 1]!) starts[starts.length - 1] = i;
    } else starts.push(i);
  }
  if (starts.length < 2) return searchPeriodic ? periodicSawtooth(x, y, noise, hingeTau) : undefined;
  // Onsets inside the window first (their fits are pinned to the level before); the window's start only
  // when no onset inside it fits.
  let best: (SawtoothFit & { mse: number }) | undefined;
  let hk = 0;
  while (hk < n && x[hk]! < hingeTau) hk++;
  const first = Math.max(1, hk - ONSET_SLACK);
  for (let k = first; k <= hk + ONSET_SLACK && k <= n - minSamples && x[k]! <= latestTau; k++) {
    const fit = sawtoothAt(x, y, starts, k);
    if (fit === undefined || fit.dof <= 0) continue;
    const mse = fit.ssr / fit.dof;
    if (Math.sqrt(mse) > MAX_RESIDUAL_NOISE * noise) continue;
    if (best === undefined || mse < best.mse) best = { ...fit, noise, mse };
  }
  if (best !== undefined) return best;
  const whole = sawtoothAt(x, y, starts, 0);
  if (whole === undefined || whole.dof <= 0) return undefined;
  const mse = whole.ssr / whole.dof;
  return Math.sqrt(mse) > MAX_RESIDUAL_NOISE * noise ? undefined : { ...whole, noise };
}

/**
 * A sawtooth whose single collections hide in the noise (a slow leak, frequent collections): with the onset
 * the hinge found, try every period of 3 or more samples and every phase, collections then coming like
 * clockwork, and keep the fit that explains the ramp best. It counts only when it halves the residual
 * variance of the plain hinge and its residuals are down to the noise.
 */
function periodicSawtooth(
  x: Float64Array,
  y: Float64Array,
  noise: number,
  tau: number,
): SawtoothFit | undefined {
  const n = x.length;
  let hk = 0;
  while (hk < n && x[hk]! < tau) hk++;
  if (hk === 0) return undefined;
  const hinge = hingeFit(x, y, tau);
  if (hinge === undefined) return undefined;
  const hingeMse = hinge.ssr / Math.max(n - 2, 1);
  // Residuals already at the noise leave no sawtooth to find.
  if (hingeMse < PERIODIC_MIN_EXCESS * noise * noise) return undefined;
  const periods = likelyPeriods(y, hk, (n - hk) >> 1);
  let best: (SawtoothFit & { mse: number }) | undefined;
  // The hinge's onset is blurred by the sawtooth: a few samples either side are tried too.
  for (let k = Math.max(1, hk - ONSET_SLACK); k <= hk + ONSET_SLACK; k++) {
    for (const period of periods) {
      if (k + 2 * period >= n) continue;
      for (let phase = 1; phase <= period; phase++) {
        const starts: number[] = [];
        for (let i = k + phase; i < n; i += period) starts.push(i);
        const fit = sawtoothAt(x, y, starts, k);
        if (fit === undefined || fit.dof <= 0) continue;
        const mse = fit.ssr / fit.dof;
        if (best === undefined || mse < best.mse) best = { ...fit, noise, mse };
      }
    }
  }
  if (best === undefined || best.mse > 0.7 * hingeMse) return undefined;
  return Math.sqrt(best.mse) > MAX_RESIDUAL_NOISE * noise ? undefined : best;
}

/**
 * The two lags (of MIN_PERIOD samples or more, up to maxLag) at which the ramp's sample-to-sample changes
 * correlate best with themselves: a sawtooth's collections repeat at its period.
 */
function likelyPeriods(y: Float64Array, from: number, maxLag: number): number[] {
  const d: number[] = [];
  for (let i = Math.max(from, 1); i < y.length; i++) d.push(y[i]! - y[i - 1]!);
  const mean = d.reduce((a, b) => a + b, 0) / Math.max(d.length, 1);
  const scored: Array<[number, number]> = [];
  for (let lag = MIN_PERIOD; lag <= maxLag; lag++) {
    let acc = 0;
    for (let i = lag; i < d.length; i++) acc += (d[i]! - mean) * (d[i - lag]! - mean);
    scored.push([acc / (d.length - lag), lag]);
  }
  return scored
    .sort((a, b) => b[0] - a[0])
    .slice(0, 2)
    .map(([, lag]) => lag);
}

/** The sawtooth model for the onset at sample k (k = 0: no flat part, fitted from the first collection). */
function sawtoothAt(
  x: Float64Array,
  y: Float64Array,
  starts: readonly number[],
  k: number,
): (Omit<SawtoothFit, "noise"> & { ssr: number; dof: number }) | undefined {
  const n = x.length;
  const tau = x[k]!;
  let c0 = 0;
  while (c0 < starts.length && starts[c0]! <= k) c0++;
  if (starts.length - c0 < 2) return undefined;
  const from = k === 0 ? starts[c0]! : 0;
  const origin = k === 0 ? x[starts[c0]!]! : tau;
  // Normal equations of y = base + rate·a + g·b, a = s − origin, b = x − s (s: the cycle's start).
  let n0 = 0;
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sab = 0;
  let sbb = 0;
  let sy = 0;
  let say = 0;
  let sby = 0;
  const pass = (visit: (i: number, a: number, b: number) => void) => {
    let c = k === 0 ? c0 : c0 - 1;
    for (let i = from; i < n; i++) {
      while (c + 1 < starts.length && starts[c + 1]! <= i) c++;
      if (k > 0 && i < k) visit(i, 0, 0);
      else {
        const s = c < c0 ? tau : x[starts[c]!]!;
        visit(i, s - origin, x[i]! - s);
      }
    }
  };
  pass((i, a, b) => {
    const v = y[i]!;
    n0++;
    sa += a;
    sb += b;
    saa += a * a;
    sab += a * b;
    sbb += b * b;
    sy += v;
    say += a * v;
    sby += b * v;
  });
  const sol = solve3(Float64Array.of(n0, sa, sb, sa, saa, sab, sb, sab, sbb), Float64Array.of(sy, say, sby));
  if (sol === undefined) return undefined;
  const [base, rate, g] = sol;
  let ssr = 0;
  pass((i, a, b) => {
    const r = y[i]! - (base + rate * a + g * b);
    ssr += r * r;
  });
  const last = starts[starts.length - 1]!;
  return {
    rate,
    g,
    base,
    tau: origin,
    lastStart: x[last]!,
    period: (x[last]! - x[starts[c0]!]!) / (starts.length - c0 - 1),
    ssr,
    dof: n - from - 3,
  };
}

/**
 * Minutes from the last sample (x = 0) until the sawtooth's peak first reaches `limit`: collections keep
 * coming every `period`, so the crossing is found cycle by cycle (the kernel kills at a peak), on the
 * sample grid `step`, with one sample's noise above the fitted value. Infinity when the troughs do not grow.
 */
function sawtoothEta(f: SawtoothFit, limit: number, step: number): number {
  if (!(f.rate > 0) || !(f.period > 0)) return Number.POSITIVE_INFINITY;
  const trough = (s: number) => f.base + f.rate * (s - f.tau);
  const top = limit - f.noise;
  // The cycle in progress starts at lastStart + j·period for the largest j that has begun.
  const j0 = Math.max(0, Math.floor(-f.lastStart / f.period));
  // The first cycle whose last sample reaches the limit (each cycle's peak is its trough plus g·(period − step)).
  const rise = Math.max(f.g, 0) * Math.max(f.period - step, 0);
  const need = (top - rise - trough(f.lastStart)) / (f.rate * f.period);
  const j = Math.max(j0, Math.ceil(need));
  const s = f.lastStart + j * f.period;
  // Inside that cycle, the first sample at or above the limit.
  const into = f.g > 0 ? Math.max(0, (top - trough(s)) / f.g) : 0;
  const at = s + Math.min(Math.ceil(into / step) * step, Math.max(f.period - step, 0));
  return Math.max(at, 0);
}

const DROP_SIGMAS = 3.5;
const MIN_CYCLE = 3;
const MIN_PERIOD = 3;
const ONSET_SLACK = 4;
const PERIODIC_MIN_EXCESS = 1.3;
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
