const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** Options of a seasonal profile. */
export interface ProfileOptions {
  /** Width of one slot of the profile (minutes); 1440 must be a multiple of it. */
  slotMinutes: number;
  /** One profile per day of the week (traffic differs on weekends) or one for every day. */
  weekly: boolean;
  /** Weight of the newest day in a slot's mean (exponential smoothing across days). */
  dayWeight: number;
}

/** Defaults: 15-minute slots, one profile per weekday, the newest day weighs 30 %. */
export const DEFAULT_PROFILE_OPTIONS: ProfileOptions = { slotMinutes: 15, weekly: true, dayWeight: 0.3 };

/**
 * The usual traffic for each time of day (and day of week): constant memory (one mean per slot), learnt
 * from the series as it streams by. Within a slot the day's samples are averaged first, so a slot's mean
 * weighs days, not samples.
 */
export class SeasonalProfile {
  private readonly o: ProfileOptions;
  private readonly perDay: number;
  private readonly mean: Float64Array;
  private readonly days: Uint16Array;
  /** Every day's profile beside the weekly one: what a weekday not seen yet falls back to. */
  private readonly dailyMean: Float64Array;
  private readonly dailyDays: Uint16Array;
  private openSlot = -1;
  private openSum = 0;
  private openCount = 0;

  constructor(opts: Partial<ProfileOptions> = {}) {
    this.o = { ...DEFAULT_PROFILE_OPTIONS, ...opts };
    if (!(this.o.slotMinutes > 0) || 1440 % this.o.slotMinutes !== 0) {
      throw new RangeError(`slotMinutes must divide 1440, got ${this.o.slotMinutes}`);
    }
    this.perDay = 1440 / this.o.slotMinutes;
    const slots = this.perDay * (this.o.weekly ? 7 : 1);
    this.mean = new Float64Array(slots);
    this.days = new Uint16Array(slots);
    this.dailyMean = new Float64Array(this.perDay);
    this.dailyDays = new Uint16Array(this.perDay);
  }

  /** Slot index of a time (ms since the epoch, UTC). */
  slotOf(t: number): number {
    const inDay = Math.floor((((t % DAY_MS) + DAY_MS) % DAY_MS) / (this.o.slotMinutes * MINUTE_MS));
    if (!this.o.weekly) return inDay;
    const weekday = (Math.floor(t / DAY_MS) + 4) % 7; // 1970-01-01 was a Thursday
    return weekday * this.perDay + inDay;
  }

  /** Learn one sample. */
  learn(t: number, value: number): void {
    if (!Number.isFinite(value)) return;
    const slot = this.slotOf(t);
    if (slot !== this.openSlot) this.closeSlot();
    this.openSlot = slot;
    this.openSum += value;
    this.openCount++;
  }

  /**
   * The usual value at time t: linear between the centres of the two nearest slots (a ramp inside one slot
   * is not a step), or undefined when a slot it needs has never been seen. A weekly profile falls back to
   * every day's while that weekday has no history yet (a service deployed on Tuesday has a Wednesday).
   */
  expected(t: number): number | undefined {
    const slotMs = this.o.slotMinutes * MINUTE_MS;
    const shifted = t - slotMs / 2;
    const w = (((shifted % slotMs) + slotMs) % slotMs) / slotMs;
    const a = this.slotOf(shifted);
    const b = this.slotOf(shifted + slotMs);
    if (this.days[a]! > 0 && this.days[b]! > 0) return this.mean[a]! * (1 - w) + this.mean[b]! * w;
    const da = a % this.perDay;
    const db = b % this.perDay;
    if (this.dailyDays[da]! === 0 || this.dailyDays[db]! === 0) return undefined;
    return this.dailyMean[da]! * (1 - w) + this.dailyMean[db]! * w;
  }

  /** Days of history behind the slot of time t (every day's, while the weekday's has none). */
  history(t: number): number {
    const s = this.slotOf(t);
    return this.days[s]! > 0 ? this.days[s]! : this.dailyDays[s % this.perDay]!;
  }

  private closeSlot(): void {
    if (this.openSlot < 0 || this.openCount === 0) return;
    const s = this.openSlot;
    const dayMean = this.openSum / this.openCount;
    const d = this.days[s]!;
    this.mean[s] =
      d === 0 ? dayMean : this.mean[s]! + Math.max(this.o.dayWeight, 1 / (d + 1)) * (dayMean - this.mean[s]!);
    this.days[s] = Math.min(d + 1, 65535);
    if (this.o.weekly) {
      const ds = s % this.perDay;
      const dd = this.dailyDays[ds]!;
      this.dailyMean[ds] =
        dd === 0
          ? dayMean
          : this.dailyMean[ds]! + Math.max(this.o.dayWeight, 1 / (dd + 1)) * (dayMean - this.dailyMean[ds]!);
      this.dailyDays[ds] = Math.min(dd + 1, 65535);
    } else {
      this.dailyMean[s] = this.mean[s]!;
      this.dailyDays[s] = this.days[s]!;
    }
    this.openSum = 0;
    this.openCount = 0;
  }
}

/** The traffic forecast over the next horizon. */
export interface TrafficForecast {
  /** Today's traffic relative to the profile right now (1 = a usual day). */
  scale: number;
  /** The highest forecast value within the horizon and when it is due. */
  peak: number;
  peakAt: number;
  /** Forecast peak over current traffic. */
  growth: number;
  /** Days of history behind the forecast (the fewest among the slots used). */
  historyDays: number;
  /** The forecast at each step of the horizon, [time ms, value], from now on. */
  path: Array<[number, number]>;
}

/**
 * Forecast the peak of the next `horizonMs`: the profile's shape ahead, scaled by how today's traffic
 * compares with the profile (a busier day than usual stays busier). Undefined without a profile for now
 * and for the whole horizon.
 */
export function forecastTraffic(
  profile: SeasonalProfile,
  now: number,
  current: number,
  horizonMs: number,
  opts: { stepMs?: number; dayScale?: number } = {},
): TrafficForecast | undefined {
  const stepMs = opts.stepMs ?? 5 * MINUTE_MS;
  const base = profile.expected(now);
  if (base === undefined || !(base > 0) || !(current >= 0)) return undefined;
  // How today compares with a usual day: the caller's smoothed ratio when it keeps one (a sample in the
  // middle of a steep ramp is above its slot's mean by nature), else this sample's; bounded either way.
  const scale = Math.min(Math.max(opts.dayScale ?? current / base, 0.5), 2);
  let peak = current;
  let peakAt = now;
  let historyDays = profile.history(now);
  const path: Array<[number, number]> = [[now, current]];
  for (let t = now + stepMs; t <= now + horizonMs; t += stepMs) {
    const e = profile.expected(t);
    if (e === undefined) return undefined;
    path.push([t, e * scale]);
    historyDays = Math.min(historyDays, profile.history(t));
    if (e * scale > peak) {
      peak = e * scale;
      peakAt = t;
    }
  }
  return {
    scale,
    peak,
    peakAt,
    growth: current > 0 ? peak / current : Number.POSITIVE_INFINITY,
    historyDays,
    path,
  };
}

/** How many replicas the forecast peak needs. */
export interface ReplicaPlan {
  current: number;
  needed: number;
  /** True when the forecast needs more replicas than are running. */
  scaleUp: boolean;
}

/**
 * Replicas for a forecast peak: peak / (capacity per replica × target utilisation), rounded up, never below
 * the current count (predictive scaling only adds ahead of a ramp; scaling down is the HPA's job) and never
 * above maxReplicas.
 */
export function planReplicas(
  peak: number,
  current: number,
  capacityPerReplica: number,
  opts: { targetUtilisation?: number; maxReplicas?: number } = {},
): ReplicaPlan {
  const util = opts.targetUtilisation ?? 0.7;
  const raw = Math.ceil(peak / (capacityPerReplica * util));
  const needed = Math.min(Math.max(raw, current), opts.maxReplicas ?? Number.POSITIVE_INFINITY);
  return { current, needed, scaleUp: needed > current };
}
