import type { Logger } from "../../core/logger.ts";
import { StreamingDetector } from "../detector.ts";
import { forecastExhaustion, type Sample } from "../forecast/exhaustion.ts";
import { SeasonalProfile, forecastTraffic, planReplicas } from "../forecast/traffic.ts";
import type { DetectorParams } from "../params.ts";
import { PeerDetector } from "../peer.ts";
import { Sustained } from "../sustained.ts";
import type { PredictiveConfig, WatchedSeries } from "./config.ts";
import { formatValue, thinPoints, whoOf, type ForecastChart, type Prediction } from "./prediction.ts";
import type { RangeSeries, SeriesSource } from "./source.ts";

/** What the watcher needs. */
export interface WatcherDeps {
  config: PredictiveConfig;
  source: SeriesSource;
  detectorParams: DetectorParams;
  /** Hands a prediction to the incident pipeline. */
  raise(p: Prediction): Promise<void>;
  now?: () => number;
  log?: Logger;
  /** When each series last raised before a restart (series key → ms): its cooldown carries over. */
  raisedBefore?: ReadonlyMap<string, number>;
}

/** Figures of one poll. */
export interface CycleReport {
  series: number;
  points: number;
  predictions: number;
  errors: number;
  ms: number;
}

interface SeriesState {
  lastT: number;
  seenCycle: number;
  detector?: StreamingDetector;
  samples?: Sample[];
  limit?: number;
  profile?: SeasonalProfile;
  /** Smoothed ratio of the series to its profile (how busy today is). */
  dayScale?: number;
}

const DAY_MS = 86_400_000;

/**
 * Polls Prometheus (`query_range`) for the policy's watched series and raises predictions: memory or disk
 * running out within the horizon, anomalies from the streaming detector, one replica out of line with its
 * group. State per series is bounded (a detector, or the lookback's samples); a series gone for a whole
 * lookback is forgotten.
 */
export class PredictiveWatcher {
  private readonly d: WatcherDeps;
  private readonly state = new Map<string, SeriesState>();
  private readonly peers = new Map<string, PeerDetector>();
  private readonly peerOut = new Map<string, boolean>();
  private readonly sustained: Sustained;
  private readonly lastRaised = new Map<string, number>();
  /** Series whose forecast holds and was raised, with what was raised (replicas for traffic). */
  private readonly episodes = new Map<string, number>();
  private cycleNo = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(deps: WatcherDeps) {
    this.d = deps;
    this.sustained = new Sustained(deps.config.forCycles);
    for (const [key, at] of deps.raisedBefore ?? []) this.lastRaised.set(key, at);
  }

  /** Series tracked right now. */
  get tracked(): number {
    return this.state.size;
  }

  /** Poll every configured expression once and raise what it shows. */
  async cycle(): Promise<CycleReport> {
    const started = performance.now();
    const now = (this.d.now ?? Date.now)();
    const cfg = this.d.config;
    this.cycleNo++;
    const report: CycleReport = { series: 0, points: 0, predictions: 0, errors: 0, ms: 0 };
    const stepMs = cfg.stepSeconds * 1000;
    const end = Math.floor(now / stepMs) * stepMs;
    const first = this.cycleNo === 1;
    const start = end - (first ? cfg.lookbackMinutes * 60_000 : cfg.intervalSeconds * 1000 + 4 * stepMs);
    await Promise.all(
      cfg.series.map(async (ws) => {
        try {
          if (ws.kind === "traffic") {
            report.predictions += await this.traffic(
              ws,
              first ? end - ws.historyDays * DAY_MS : start,
              end,
              report,
            );
            return;
          }
          const rows = await this.d.source.queryRange(ws.query, start, end, cfg.stepSeconds);
          const limits =
            ws.kind === "exhaustion" && ws.limitQuery ? await this.limits(ws, ws.limitQuery, end) : undefined;
          const found = await this.process(ws, rows, limits, report);
          report.predictions += found;
        } catch (err) {
          report.errors++;
          this.d.log?.warn(
            { series: ws.name, err: err instanceof Error ? err.message : String(err) },
            "watch query failed",
          );
        }
      }),
    );
    this.evict(cfg.lookbackMinutes * 60_000, end);
    report.ms = performance.now() - started;
    return report;
  }

  /** Poll every intervalSeconds until stop(). A slow poll delays the next, never overlaps it. */
  start(): void {
    if (this.timer !== undefined) return;
    const tick = () => {
      this.running = this.cycle()
        .then((r) => this.d.log?.debug({ ...r }, "predictive watch cycle"))
        .catch((err: unknown) => this.d.log?.error({ err }, "predictive watch cycle failed"))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, this.d.config.intervalSeconds * 1000);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Stop polling; waits for a poll under way. */
  async stop(): Promise<void> {
    const t = this.timer;
    this.timer = undefined;
    if (t !== undefined) clearTimeout(t);
    await this.running;
  }

  /**
   * Seasonal traffic: the profile learns every sample (a week of history at start, fetched at the profile's
   * resolution), and a forecast peak that needs more replicas than run now raises, once per ramp.
   */
  private async traffic(ws: WatchedSeries, from: number, end: number, report: CycleReport): Promise<number> {
    const long = end - from > 2 * this.d.config.lookbackMinutes * 60_000;
    const stepS = long ? 300 : this.d.config.stepSeconds;
    const rows = await this.d.source.queryRange(ws.query, from, end, stepS);
    const replicas = await this.limits(ws, ws.replicasQuery!, end);
    let raised = 0;
    for (const row of rows) {
      report.series++;
      const key = seriesKey(ws.name, row.labels);
      let st = this.state.get(key);
      if (st === undefined)
        this.state.set(key, (st = { lastT: Number.NEGATIVE_INFINITY, seenCycle: this.cycleNo }));
      st.seenCycle = this.cycleNo;
      const profile = (st.profile ??= new SeasonalProfile());
      for (let i = 0; i < row.t.length; i++) {
        if (row.t[i]! <= st.lastT || !Number.isFinite(row.v[i]!)) continue;
        const expected = profile.expected(row.t[i]!);
        if (expected !== undefined && expected > 0) {
          const r = row.v[i]! / expected;
          st.dayScale = st.dayScale === undefined ? r : st.dayScale + (r - st.dayScale) / 40;
        }
        profile.learn(row.t[i]!, row.v[i]!);
        st.lastT = row.t[i]!;
        report.points++;
      }
      const n = row.t.length;
      const running = replicas.find((l) => l.match.every(([k, v]) => row.labels[k] === v))?.value;
      if (n === 0 || running === undefined) continue;
      const now = row.t[n - 1]!;
      const f = forecastTraffic(profile, now, row.v[n - 1]!, ws.forecastMinutes * 60_000, {
        ...(st.dayScale !== undefined ? { dayScale: st.dayScale } : {}),
      });
      const plan =
        f === undefined
          ? undefined
          : planReplicas(f.peak, Math.round(running), ws.capacityPerReplica!, {
              targetUtilisation: ws.targetUtilisation,
              ...(ws.maxReplicas !== undefined ? { maxReplicas: ws.maxReplicas } : {}),
            });
      const holds = this.sustained.observe(key, plan?.scaleUp === true);
      if (!holds) this.episodes.delete(key);
      // Once per ramp; again only when the ramp turns out to need clearly more (20 %) than was raised for.
      const before = this.episodes.get(key) ?? 0;
      if (!holds || f === undefined || plan === undefined || plan.needed < Math.max(before * 1.2, before + 1))
        continue;
      const again = this.episodes.has(key);
      this.episodes.set(key, plan.needed);
      const labels = { ...row.labels, ...ws.labels };
      const inMin = Math.max(0, Math.round((f.peakAt - now) / 60_000));
      const p: Prediction = {
        key,
        kind: "traffic",
        series: ws.name,
        labels,
        family: ws.family ?? "traffic_spike",
        message:
          `${whoOf(labels, ws.name)}'s ${ws.name} is forecast to reach ${formatValue(f.peak, ws.unit)} in ${inMin} min ` +
          `(×${f.growth.toFixed(1)} of now, from ${Math.round(f.historyDays)} day(s) of history); ` +
          `${plan.needed} replicas needed at ${Math.round(ws.targetUtilisation * 100)} % of capacity, ${plan.current} running`,
        leadTimeMs: f.peakAt - now,
        confidence: Math.min(1, f.historyDays / 3) * Math.min(1, 0.5 + (f.growth - 1)),
        contributions: {
          forecast_peak: f.peak,
          current: row.v[n - 1]!,
          day_scale: f.scale,
          history_days: f.historyDays,
          replicas_running: plan.current,
          replicas_needed: plan.needed,
        },
        at: now,
        chart: trafficChart(ws, row, f.path, plan.current),
      };
      if (await this.emit(key, now, p, again)) raised++;
    }
    return raised;
  }

  private async limits(ws: WatchedSeries, query: string, end: number): Promise<Limit[]> {
    const stepS = this.d.config.stepSeconds;
    const rows = await this.d.source.queryRange(query, end - 4 * stepS * 1000, end, stepS);
    const out: Limit[] = [];
    for (const r of rows) {
      const last = r.v[r.v.length - 1];
      if (last === undefined || !(last > 0) || !Number.isFinite(last)) continue;
      const match: Array<[string, string]> = ws.matchOn
        .filter((l) => r.labels[l] !== undefined)
        .map((l) => [l, r.labels[l]!]);
      out.push({ match, value: last });
    }
    return out;
  }

  private async process(
    ws: WatchedSeries,
    rows: RangeSeries[],
    limits: Limit[] | undefined,
    report: CycleReport,
  ): Promise<number> {
    let raised = 0;
    const peerBatches = new Map<string, Map<number, Map<string, number>>>();
    for (const row of rows) {
      report.series++;
      const key = seriesKey(ws.name, row.labels);
      let st = this.state.get(key);
      if (st === undefined) {
        st = { lastT: Number.NEGATIVE_INFINITY, seenCycle: this.cycleNo };
        this.state.set(key, st);
      }
      st.seenCycle = this.cycleNo;
      let from = 0;
      while (from < row.t.length && row.t[from]! <= st.lastT) from++;
      if (from >= row.t.length) continue;
      report.points += row.t.length - from;
      const labels = { ...row.labels, ...ws.labels };
      if (ws.kind === "anomaly") {
        st.detector ??= new StreamingDetector(
          ws.threshold === undefined
            ? this.d.detectorParams
            : { ...this.d.detectorParams, threshold: ws.threshold },
        );
        const threshold = ws.threshold ?? this.d.detectorParams.threshold;
        let best = 0;
        let bestAt = 0;
        let contributions: Record<string, number> = {};
        for (let i = from; i < row.t.length; i++) {
          const s = st.detector.update(row.t[i]!, row.v[i]!);
          if (s >= threshold && s > best) {
            best = s;
            bestAt = i;
            contributions = st.detector.contributions();
          }
        }
        if (
          best > 0 &&
          (await this.emit(key, row.t[bestAt]!, {
            key,
            kind: "anomaly",
            series: ws.name,
            labels,
            family: ws.family,
            message: anomalyMessage(ws, labels, row.v[bestAt]!, contributions),
            leadTimeMs: null,
            confidence: best,
            contributions,
            at: row.t[bestAt]!,
          }))
        )
          raised++;
      } else if (ws.kind === "exhaustion") {
        const samples = (st.samples ??= []);
        for (let i = from; i < row.t.length; i++)
          if (Number.isFinite(row.v[i]!)) samples.push({ t: row.t[i]!, v: row.v[i]! });
        const horizon = this.d.config.lookbackMinutes * 60_000;
        let drop = 0;
        while (drop < samples.length && samples[drop]!.t < row.t[row.t.length - 1]! - horizon) drop++;
        if (drop > 0) samples.splice(0, drop);
        const limit = ws.limit ?? limits?.find((l) => l.match.every(([k, v]) => row.labels[k] === v))?.value;
        if (limit !== undefined) {
          const f = forecastExhaustion(samples, limit, {
            horizonMs: ws.horizonMinutes * 60_000,
            windowMs: ws.windowMinutes * 60_000,
            minRampMs: ws.minRampMinutes * 60_000,
          });
          const holds = this.sustained.observe(key, f?.alarm === true);
          // One raise per episode: while the forecast keeps holding, the incident it opened covers it.
          if (!holds) this.episodes.delete(key);
          if (holds && f !== undefined && !this.episodes.has(key)) {
            this.episodes.set(key, 0);
            const band = Number.isFinite(f.etaHighMs)
              ? (f.etaHighMs - f.etaLowMs) / 2
              : Number.POSITIVE_INFINITY;
            const p: Prediction = {
              key,
              kind: "exhaustion",
              series: ws.name,
              labels,
              family: ws.family,
              message:
                `${whoOf(labels, ws.name)}'s ${ws.name} grows ${formatValue(f.slopePerMin, ws.unit)}/min; ` +
                `its limit (${formatValue(limit, ws.unit)}) is reached in ${minutes(f.etaMs)} min ` +
                `(± ${Number.isFinite(band) ? minutes(band) : "?"})`,
              leadTimeMs: f.etaMs,
              confidence: f.confidence,
              contributions: {
                growth_per_min: f.slopePerMin,
                headroom: limit - f.current,
                t_stat: Math.min(f.tStat, 1e6),
                eta_low_min: f.etaLowMs / 60_000,
                eta_high_min: Number.isFinite(f.etaHighMs) ? f.etaHighMs / 60_000 : -1,
              },
              at: f.at,
              chart: {
                unit: ws.unit,
                observed: thinPoints(samples.map((x) => [x.t, x.v] as const)),
                forecast: [
                  [f.at, f.top],
                  ...(Number.isFinite(f.etaMs) ? [[f.at + f.etaMs, limit] as [number, number]] : []),
                ],
                limit,
                limitLabel: ws.limit !== undefined ? "configured limit" : "limit",
                crossing: Number.isFinite(f.etaMs)
                  ? {
                      at: f.at + f.etaMs,
                      low: f.at + f.etaLowMs,
                      high: Number.isFinite(f.etaHighMs) ? f.at + f.etaHighMs : f.at + f.etaMs * 4,
                    }
                  : null,
              },
            };
            if (await this.emit(key, f.at, p)) raised++;
          }
        }
      } else {
        const group = ws.groupBy.map((l) => `${l}=${row.labels[l] ?? ""}`).join(",");
        const replica = row.labels.pod ?? row.labels.instance ?? row.labels.container ?? key;
        let byT = peerBatches.get(group);
        if (byT === undefined) peerBatches.set(group, (byT = new Map()));
        for (let i = from; i < row.t.length; i++) {
          let m = byT.get(row.t[i]!);
          if (m === undefined) byT.set(row.t[i]!, (m = new Map()));
          m.set(replica, row.v[i]!);
        }
        st.lastT = row.t[row.t.length - 1]!;
        continue;
      }
      st.lastT = row.t[row.t.length - 1]!;
    }
    for (const [group, byT] of peerBatches) raised += await this.peerGroup(ws, group, byT, rows);
    return raised;
  }

  private async peerGroup(
    ws: WatchedSeries,
    group: string,
    byT: Map<number, Map<string, number>>,
    rows: RangeSeries[],
  ): Promise<number> {
    const gkey = `${ws.name}|${group}`;
    let det = this.peers.get(gkey);
    if (det === undefined) this.peers.set(gkey, (det = new PeerDetector()));
    let raised = 0;
    for (const t of [...byT.keys()].sort((a, b) => a - b)) {
      for (const s of det.update(byT.get(t)!)) {
        const k = `${gkey}|${s.replica}`;
        const was = this.peerOut.get(k) ?? false;
        this.peerOut.set(k, s.outlier);
        if (!s.outlier || was) continue;
        const row = rows.find((r) => (r.labels.pod ?? r.labels.instance ?? r.labels.container) === s.replica);
        const labels = { ...(row?.labels ?? {}), ...ws.labels };
        const p: Prediction = {
          key: k,
          kind: "peer",
          series: ws.name,
          labels,
          family: ws.family,
          message:
            `${s.replica}'s ${ws.name} is ${formatValue(s.value, ws.unit)} against ${formatValue(s.median, ws.unit)} ` +
            `for its siblings (${s.z.toFixed(1)} robust σ ${s.z > 0 ? "above" : "below"}): out of line with its group`,
          leadTimeMs: null,
          confidence: s.score,
          contributions: { peer: s.z },
          at: t,
        };
        if (await this.emit(k, t, p)) raised++;
      }
    }
    return raised;
  }

  private async emit(key: string, at: number, p: Prediction, worse = false): Promise<boolean> {
    const last = this.lastRaised.get(key);
    if (!worse && last !== undefined && at - last < this.d.config.cooldownMinutes * 60_000) return false;
    this.lastRaised.set(key, at);
    await this.d.raise(p);
    return true;
  }

  private evict(horizonMs: number, end: number): void {
    const cycles = Math.max(2, Math.ceil(horizonMs / (this.d.config.intervalSeconds * 1000)));
    for (const [key, st] of this.state) {
      if (this.cycleNo - st.seenCycle > cycles) {
        this.state.delete(key);
        this.sustained.forget(key);
        this.episodes.delete(key);
      }
    }
    for (const [key, at] of this.lastRaised)
      if (end - at > Math.max(horizonMs, this.d.config.cooldownMinutes * 60_000)) this.lastRaised.delete(key);
  }
}

/**
 * A traffic forecast as a chart: the observed rate, the forecast path, and as the limit what the running
 * replicas serve at the target utilisation; the crossing is the first forecast step above it.
 */
function trafficChart(
  ws: WatchedSeries,
  row: RangeSeries,
  path: Array<[number, number]>,
  running: number,
): ForecastChart {
  const limit = running * ws.capacityPerReplica! * ws.targetUtilisation;
  const over = path.find(([, v]) => v > limit);
  return {
    unit: ws.unit,
    observed: thinPoints(Array.from(row.t, (t, i) => [t, row.v[i]!] as const)),
    forecast: path,
    limit,
    limitLabel: `${running} replicas at ${Math.round(ws.targetUtilisation * 100)} %`,
    crossing: over === undefined ? null : { at: over[0], low: over[0], high: over[0] },
  };
}

function seriesKey(name: string, labels: Record<string, string>): string {
  return `${name}|${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(",")}`;
}

/** A limit series: the labels it matches on and its latest value. */
interface Limit {
  match: Array<[string, string]>;
  value: number;
}

function minutes(ms: number): string {
  const m = ms / 60_000;
  return m >= 10 ? m.toFixed(0) : m.toFixed(1);
}

function anomalyMessage(
  ws: WatchedSeries,
  labels: Record<string, string>,
  value: number,
  c: Record<string, number>,
): string {
  const top = Object.entries(c).sort((a, b) => b[1] - a[1])[0];
  const why =
    top === undefined
      ? "unusual"
      : top[0] === "seasonal"
        ? `${top[1].toFixed(1)}× further from normal for this hour than it has lately been`
        : top[0] === "range"
          ? "outside the range it has shown lately"
          : `${top[1].toFixed(1)}× beyond its usual ${top[0]}`;
  return `${whoOf(labels, ws.name)}'s ${ws.name} is ${formatValue(value, ws.unit)}: ${why}`;
}
