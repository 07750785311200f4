import type { DetectorParams } from "./params.ts";

/** The views a detector combines; a score's contribution map is keyed by them. */
export const VIEWS = ["level", "change", "seasonal", "spread", "range"] as const;
/** One view of a series. */
export type View = (typeof VIEWS)[number];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const EPS = 1e-12;

const rate = (halfLife: number): number => 1 - Math.pow(2, -1 / halfLife);

/**
 * A streaming anomaly detector for one series. Causal: the score of a point uses only that point and the
 * ones before it, each view predicting from statistics that do not yet include the point. Memory is
 * constant per series (a handful of numbers, plus one mean and variance per seasonal slot).
 */
export class StreamingDetector {
  private readonly p: DetectorParams;
  private readonly aLevel: number;
  private readonly aChange: number;
  private readonly aShort: number;
  private readonly aLong: number;
  private n = 0;
  private lastT = Number.NaN;
  private dt = Number.NaN;
  private prev = 0;
  private mag = 0;
  private levelMean = 0;
  private levelVar = 0;
  private changeMean = 0;
  private changeVar = 0;
  /** (1 − the change view's rate)^points: how much of the steps' variance is still its zero start. */
  private changeStart = 1;
  private spreadShort = 0;
  private prevResidual = 0;
  private prevWarm = false;
  private residualMean = 0;
  private residualVar = 0;
  private spreadLong = 0;
  private readonly slotMean: Float64Array;
  private readonly slotVar: Float64Array;
  private readonly slotVisits: Float64Array;
  /** Usual surprise per view (a decaying record of |z|): level, change, seasonal, spread, seasonal step. */
  private readonly usual = new Float64Array(5);
  private readonly usualDecay: number;
  /** Last point's normalised surprise per view, in VIEWS order. */
  private readonly last = new Float64Array(VIEWS.length);
  private slotRateDt = Number.NaN;
  private slotRate = 0;
  private memory = 0;
  private quiet = 0;
  private sinceReport = 0;
  private lastScore = 0;
  private sinceAlarm = Number.POSITIVE_INFINITY;
  private readonly novelty: NoveltyContext | undefined;
  private readonly range: RangeNovelty | undefined;

  constructor(params: DetectorParams) {
    this.p = params;
    this.aLevel = rate(params.levelHalfLife);
    this.aChange = rate(params.changeHalfLife);
    this.aShort = rate(params.spreadShortHalfLife);
    this.aLong = rate(params.spreadLongHalfLife);
    const slots = params.seasonalSlots === "hour" ? 24 : params.seasonalSlots === "hour_weekday" ? 168 : 0;
    this.slotMean = new Float64Array(slots);
    this.slotVar = new Float64Array(slots);
    this.slotVisits = new Float64Array(slots);
    this.usual.fill(params.minSurprise);
    this.usualDecay = Math.pow(2, -1 / params.usualHalfLife);
    this.novelty = params.novelty === undefined ? undefined : new NoveltyContext(params.novelty);
    this.range = params.range === undefined ? undefined : new RangeNovelty(params.range);
  }

  /** Points seen so far. */
  get count(): number {
    return this.n;
  }

  /** The score of the last point. */
  get score(): number {
    return this.lastScore;
  }

  /** Each view's share of the last point's surprise (normalised to its usual level; ≥ 1 is unusual). */
  contributions(): Record<View, number> {
    return {
      level: this.last[0]!,
      change: this.last[1]!,
      seasonal: this.last[2]!,
      spread: this.last[3]!,
      range: this.last[4]!,
    };
  }

  /** Feed one point (time in ms since the epoch, value); returns its anomaly score in [0, 1]. */
  update(t: number, x: number): number {
    if (!Number.isFinite(x)) return (this.lastScore = 0);
    const p = this.p;
    if (this.n === 0) {
      this.prev = x;
      this.levelMean = x;
      this.mag = Math.abs(x);
      this.lastT = t;
      this.n = 1;
      this.last.fill(0);
      return (this.lastScore = 0);
    }
    const gap = t - this.lastT;
    if (gap > 0)
      this.dt = Number.isNaN(this.dt) ? gap : this.dt + 0.05 * (Math.min(gap, 10 * this.dt) - this.dt);
    this.lastT = t;

    const floor = p.relativeFloor * this.mag;
    const floor2 = floor * floor + EPS;
    const d = x - this.prev;

    // Each view's z, predicted from the past only.
    const zLevel = (x - this.levelMean) / Math.sqrt(this.levelVar + floor2);
    const zChange = (d - this.changeMean) / Math.sqrt(this.changeVar + floor2);
    const short = this.spreadShort + this.aShort * (d * d - this.spreadShort);
    const zSpread = 0.5 * Math.abs(Math.log((short + floor2) / (this.spreadLong + floor2)));
    let slot = -1;
    let warm = false;
    let residual = 0;
    if (this.slotMean.length > 0 && Number.isFinite(this.dt) && this.dt > 0) {
      const hour = Math.floor(t / HOUR_MS) % 24;
      slot = this.slotMean.length === 24 ? hour : (Math.floor(t / DAY_MS + 4) % 7) * 24 + hour;
      const cycles = this.slotVisits[slot]! / Math.max(1, HOUR_MS / this.dt);
      warm = cycles >= p.seasonalMinVisits;
      residual = x - this.slotMean[slot]!;
    }
    const novel = this.novelty?.observe(x, this.n < p.warmupPoints) ?? false;
    const outOfRange =
      this.range?.observe(
        x,
        d,
        x - this.levelMean,
        // The steps' variance starts at 0 and grows towards its level: corrected for that start (as
        // Adam corrects its moments), early noise is not mistaken for a small one.
        Math.sqrt(((this.changeStart < 1 ? this.changeVar / (1 - this.changeStart) : 0) + floor2) / 2),
        warm ? residual : undefined,
      ) ?? 0;
    const uLevel = this.normalise(0, zLevel);
    const uChange = this.normalise(1, zChange);
    const uSpread = this.normalise(3, zSpread);
    let uValue = uLevel;
    let uStep = uChange;
    let uSeasonal = 0;
    const dr = residual - this.prevResidual;
    if (warm) {
      // Where the seasonal baseline explains the value (or its step), neither view raises it.
      uSeasonal = this.normalise(2, residual / Math.sqrt(this.slotVar[slot]! + floor2));
      const uResidualStep = this.normalise(
        4,
        (dr - this.residualMean) / Math.sqrt(this.residualVar + floor2),
      );
      uValue = Math.min(uLevel, uSeasonal);
      if (this.prevWarm) uStep = Math.min(uChange, uResidualStep);
    }
    this.last[0] = uLevel;
    this.last[1] = uStep;
    this.last[2] = uSeasonal;
    this.last[3] = uSpread;
    // v4's range view: 1 plus how far (in multiples of the range) the point left it; 0 inside.
    this.last[4] = outOfRange > 0 ? 1 + outOfRange : 0;
    const raw = Math.max(uValue, uStep, uSpread * p.spreadWeight);

    // Learn from the point (winsorised, so one outlier does not blind a view for long).
    const lsd = Math.sqrt(this.levelVar + floor2);
    this.ewUpdateLevel(clip(x - this.levelMean, 4 * lsd));
    const csd = Math.sqrt(this.changeVar + floor2);
    const dc = clip(d - this.changeMean, 4 * csd);
    const ci = this.aChange * dc;
    this.changeMean += ci;
    this.changeVar = (1 - this.aChange) * (this.changeVar + dc * ci);
    this.changeStart *= 1 - this.aChange;
    this.spreadShort = short;
    this.spreadLong += this.aLong * (Math.min(d * d, 16 * (this.spreadLong + floor2)) - this.spreadLong);
    if (slot >= 0) {
      if (warm && this.prevWarm) {
        const rsd = Math.sqrt(this.residualVar + floor2);
        const rc = clip(dr - this.residualMean, 4 * rsd);
        const ri = this.aChange * rc;
        this.residualMean += ri;
        this.residualVar = (1 - this.aChange) * (this.residualVar + rc * ri);
      }
      this.learnSlot(slot, x, floor2);
    }
    this.prevResidual = residual;
    this.prevWarm = warm;
    this.mag += this.aLong * (Math.abs(x) - this.mag);
    this.prev = x;
    this.n++;

    const excess = (raw - 1) / p.scoreSpan;
    if (this.novelty !== undefined) return (this.lastScore = this.noveltyScore(novel, excess));
    // One event reports once: inside an event (until quietPoints calm points in a row) a score is
    // reported only when the surprise grows past growth × the largest one reported in the event.
    const s = excess <= 0 ? 0 : excess >= 1 ? 1 : excess;
    // An event stays open at least holdPoints after its last report, however calm: NAB (and an on-call
    // engineer) values one early alarm per event, and repeats inside it only cost.
    let out = 0;
    this.sinceReport++;
    if (excess > 0) {
      this.quiet = 0;
      if (this.memory === 0 || excess > p.eventGrowth * this.memory) {
        out = s;
        this.memory = Math.max(this.memory, excess);
        this.sinceReport = 0;
      }
    } else if (this.memory > 0 && ++this.quiet >= p.quietPoints && this.sinceReport >= p.holdPoints) {
      this.memory = 0;
    }
    if (this.n <= p.warmupPoints) out = 0;
    if (this.range !== undefined)
      return (this.lastScore = this.rangeScore(outOfRange, out, warm ? (uSeasonal - 1) / p.scoreSpan : 0));
    return (this.lastScore = out);
  }

  /**
   * v3: a point scores when its transition between value bins was never seen before and some view was
   * unusual within the last recentPoints (0.5 plus half the surprise's excess, so a swept threshold above
   * 0.5 asks for more surprise). After a score at or above the threshold the series stays silent for
   * holdPoints: one alarm per event.
   */
  private noveltyScore(novel: boolean, excess: number): number {
    const p = this.p;
    this.sinceReport++;
    if (excess > 0) {
      this.quiet = 0;
      this.memory = excess;
    } else this.quiet++;
    if (this.n <= p.warmupPoints || this.sinceReport <= p.holdPoints || !novel) return 0;
    if (this.quiet > p.novelty!.recentPoints) return 0;
    const out = 0.5 + 0.5 * Math.min(1, this.memory);
    if (out >= p.threshold) this.sinceReport = 0;
    return out;
  }

  /**
   * v4: a point scores when the smoothed value or step size leaves the range the series has shown
   * (0.5 plus half how far, in multiples of the range), or, on a series the seasonal baseline explains,
   * when the seasonal view or the v2 event logic finds it unusual (0.5 plus half the excess). After a score at or above the threshold
   * the series stays silent for holdPoints: one alarm per event.
   */
  private rangeScore(outOfRange: number, event: number, seasonalExcess: number): number {
    const p = this.p;
    this.sinceAlarm++;
    if (this.n <= p.warmupPoints || this.sinceAlarm <= p.holdPoints) return 0;
    let out = 0;
    if (this.n <= p.range!.matureAfter) {
      // A range of a few hundred points is still growing (each one may be a new record): until then the
      // v2 event logic speaks alone.
      if (event >= p.range!.viewExcess) out = 0.5 + 0.5 * Math.min(1, event);
    } else if (outOfRange > 0) out = 0.5 + 0.5 * Math.min(1, outOfRange);
    if (this.range!.seasonal >= p.range!.seasonalStrength) {
      // The hour-of-day baseline explains this series: a value unusual for the hour is news even when
      // the level has seen it (a daily peak that does not come, a night at the day's level).
      const e = Math.max(event, seasonalExcess);
      if (e >= p.range!.viewExcess) out = Math.max(out, 0.5 + 0.5 * Math.min(1, e));
    }
    if (out >= p.threshold) this.sinceAlarm = 0;
    return out;
  }

  private normalise(view: number, z: number): number {
    const a = Math.abs(z);
    const q = this.usual[view]!;
    const u = a / Math.max(q, this.p.minSurprise);
    // The usual surprise is a decaying record: a surprise the series has shown lately is not news.
    this.usual[view] = Math.max(q * this.usualDecay, a);
    return u;
  }

  private ewUpdateLevel(diff: number): void {
    const incr = this.aLevel * diff;
    this.levelMean += incr;
    this.levelVar = (1 - this.aLevel) * (this.levelVar + diff * incr);
  }

  private learnSlot(slot: number, x: number, floor2: number): void {
    if (this.dt !== this.slotRateDt) {
      // The slot's rate depends on how many points one visit holds; recomputed only when the spacing changes.
      this.slotRateDt = this.dt;
      this.slotRate = rate(this.p.seasonalHalfLife * Math.max(1, HOUR_MS / this.dt));
    }
    const visits = this.slotVisits[slot]!;
    const a = visits === 0 ? 1 : Math.max(this.slotRate, 1 / (visits + 1));
    const sd = Math.sqrt(this.slotVar[slot]! + floor2);
    const diff = visits === 0 ? x - this.slotMean[slot]! : clip(x - this.slotMean[slot]!, 4 * sd);
    const incr = a * diff;
    this.slotMean[slot]! += incr;
    this.slotVar[slot] = visits === 0 ? 0 : (1 - a) * (this.slotVar[slot]! + diff * incr);
    this.slotVisits[slot] = visits + 1;
  }
}

/**
 * Which transitions between value bins a series has shown: bins cut the range seen so far (widened by a
 * margin, growing as new extremes arrive), and one bit per (previous bin, bin) pair remembers a transition
 * once seen. Constant memory: bins² bytes.
 */
class NoveltyContext {
  private readonly bins: number;
  private readonly margin: number;
  private readonly seen: Uint8Array;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;
  private prevBin = -1;

  constructor(cfg: NonNullable<DetectorParams["novelty"]>) {
    this.bins = cfg.bins;
    this.margin = cfg.rangeMargin;
    this.seen = new Uint8Array(cfg.bins * cfg.bins);
  }

  /** Learn one value; true when its transition from the previous value's bin is new (past the warm-up). */
  observe(x: number, warmingUp: boolean): boolean {
    if (x < this.lo) this.lo = x;
    if (x > this.hi) this.hi = x;
    const width = this.hi - this.lo;
    const span = width > 0 ? width * (1 + this.margin) : Math.max(Math.abs(this.hi), EPS);
    const from = this.lo - (width * this.margin) / 2;
    let bin = Math.floor(((x - from) / span) * this.bins);
    if (bin < 0) bin = 0;
    else if (bin >= this.bins) bin = this.bins - 1;
    const prev = this.prevBin;
    this.prevBin = bin;
    if (prev < 0) return false;
    const k = prev * this.bins + bin;
    if (this.seen[k] !== 0) return false;
    this.seen[k] = 1;
    return !warmingUp;
  }
}

/**
 * The range a series has shown: the extremes of its smoothed value (at a short and a long span) and the
 * highest of its smoothed step size, each shrinking slowly towards the middle, and how much of the level's
 * variance a seasonal baseline explains. Constant memory: a few dozen numbers.
 */
class RangeNovelty {
  private readonly aValue: number;
  private readonly aSlow: number;
  private readonly aSpread: number;
  private readonly aStrength: number;
  private readonly valueNoise: number;
  private readonly slowNoise: number;
  private readonly cfg: NonNullable<DetectorParams["range"]>;
  private value = Number.NaN;
  private slow = Number.NaN;
  private spread = 0;
  private spike = Number.NaN;
  private slowSpread = 0;
  private readonly aSpike: number;
  private readonly spikeNoise: number;
  private readonly spikeMargin: number;
  private readonly aSlowSpread: number;
  private readonly spikeRange: SeenRange | undefined;
  private readonly slowSpreadRange: LateRange | undefined;
  private readonly valueRange: SeenRange;
  private readonly slowRange: SeenRange;
  private readonly spreadRange: SeenRange;
  private levelDev2 = 0;
  private residual2 = 0;
  /** Share of the level's variance the seasonal baseline explains (1: all, ≤ 0: none). */
  seasonal = 0;

  constructor(cfg: NonNullable<DetectorParams["range"]>) {
    this.cfg = cfg;
    this.aValue = 2 / (cfg.valueSpan + 1);
    this.aSlow = 2 / (cfg.slowSpan + 1);
    this.aSpread = 2 / (cfg.spreadSpan + 1);
    this.valueNoise = Math.sqrt(this.aValue / (2 - this.aValue));
    this.slowNoise = Math.sqrt(this.aSlow / (2 - this.aSlow));
    this.aStrength = rate(cfg.strengthHalfLife);
    const decay = Math.pow(2, -1 / cfg.halfLife);
    this.valueRange = new SeenRange(decay);
    this.slowRange = new SeenRange(decay);
    this.spreadRange = new SeenRange(decay);
    this.aSpike = 2 / ((cfg.spikeSpan ?? 1) + 1);
    this.spikeNoise = Math.sqrt(this.aSpike / (2 - this.aSpike));
    this.spikeMargin = cfg.spikeMargin ?? cfg.margin;
    this.spikeRange = cfg.spikeSpan === undefined ? undefined : new SeenRange(decay);
    this.aSlowSpread = 2 / ((cfg.slowSpreadSpan ?? 1) + 1);
    this.slowSpreadRange =
      cfg.slowSpreadSpan === undefined ? undefined : new LateRange(decay, cfg.slowSpreadLag ?? 0);
  }

  /** Learn one point; returns how far (in multiples of the range) it left the range beyond the margin. */
  observe(x: number, d: number, levelDev: number, noiseSd: number, residual: number | undefined): number {
    this.value = Number.isNaN(this.value) ? x : this.value + this.aValue * (x - this.value);
    this.slow = Number.isNaN(this.slow) ? x : this.slow + this.aSlow * (x - this.slow);
    this.spread += this.aSpread * (Math.abs(d) - this.spread);
    if (residual === undefined) this.seasonal = 0;
    else {
      this.levelDev2 += this.aStrength * (levelDev * levelDev - this.levelDev2);
      this.residual2 += this.aStrength * (residual * residual - this.residual2);
      this.seasonal = this.levelDev2 > 0 ? 1 - this.residual2 / this.levelDev2 : 0;
    }
    // Beyond the range by its margin, and by more than noiseMargin × the noise's standard deviation (read
    // from the steps: a level shift does not inflate it) — a new record of stationary noise is no news.
    // The floor is in standard deviations of each smoothed value (white noise smoothed at rate a keeps
    // √(a / (2 − a)) of its deviation).
    const floor = this.cfg.noiseMargin * noiseSd;
    let out = Math.max(
      this.valueRange.beyond(this.value, true, this.cfg.margin, floor * this.valueNoise),
      this.slowRange.beyond(this.slow, true, this.cfg.margin, floor * this.slowNoise),
      this.spreadRange.beyond(this.spread, false, this.cfg.spreadMargin, 0),
    );
    this.valueRange.learn(this.value);
    this.slowRange.learn(this.slow);
    this.spreadRange.learn(this.spread);
    if (this.spikeRange !== undefined) {
      this.spike = Number.isNaN(this.spike) ? x : this.spike + this.aSpike * (x - this.spike);
      out = Math.max(
        out,
        this.spikeRange.beyond(this.spike, true, this.spikeMargin, floor * this.spikeNoise),
      );
      this.spikeRange.learn(this.spike);
    }
    if (this.slowSpreadRange !== undefined) {
      this.slowSpread += this.aSlowSpread * (Math.abs(d) - this.slowSpread);
      out = Math.max(out, this.slowSpreadRange.beyond(this.slowSpread, this.cfg.spreadMargin));
      this.slowSpreadRange.learn(this.slowSpread);
    }
    return out > 0 ? out : 0;
  }
}

/** The range [lo, hi] of what a value has been, shrinking towards its middle by `decay` per point. */
class SeenRange {
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;

  constructor(private readonly decay: number) {}

  /**
   * How far `v` lies beyond the range (above it, or also below) past a margin of `margin` × its width and
   * at least `floor`, in multiples of the width: 0 within.
   */
  beyond(v: number, bothSides: boolean, margin: number, floor: number): number {
    const width = this.hi - this.lo;
    if (!(width > 0)) return 0;
    const past = Math.max(v - this.hi, bothSides ? this.lo - v : 0);
    const m = Math.max(margin * width, floor);
    return past > m ? (past - m) / width : 0;
  }

  learn(v: number): void {
    if (!(this.hi >= this.lo)) {
      this.lo = this.hi = v;
      return;
    }
    const mid = (this.lo + this.hi) / 2;
    const half = ((this.hi - this.lo) / 2) * this.decay;
    this.lo = Math.min(mid - half, v);
    this.hi = Math.max(mid + half, v);
  }
}

/**
 * The highest a value has been up to `lag` points ago (a ring of the last `lag` values): a value that rises
 * slowly is compared with what it was before the rise, not with its own record of a point ago, which
 * follows it up. Constant memory: `lag` numbers.
 */
class LateRange {
  private readonly range: SeenRange;
  private readonly ring: Float64Array;
  private at = 0;
  private full = false;

  constructor(decay: number, lag: number) {
    this.range = new SeenRange(decay);
    this.ring = new Float64Array(lag);
  }

  /** How far `v` lies above the range learnt until `lag` points ago, past `margin` × its width. */
  beyond(v: number, margin: number): number {
    return this.range.beyond(v, false, margin, 0);
  }

  learn(v: number): void {
    if (this.ring.length === 0) return this.range.learn(v);
    if (this.full) this.range.learn(this.ring[this.at]!);
    this.ring[this.at] = v;
    if (++this.at === this.ring.length) {
      this.at = 0;
      this.full = true;
    }
  }
}

function clip(v: number, limit: number): number {
  return v > limit ? limit : v < -limit ? -limit : v;
}
