import { renderMetrics, type KubeSim } from "@aegisops/kube-sim";

/** One stored sample: epoch ms and value; `stale` marks where a series vanished from its target's scrape. */
export interface Sample {
  t: number;
  v: number;
  stale?: true;
}

/** One series: its labels (with `__name__`) and its samples, oldest first. */
export interface StoredSeries {
  labels: Readonly<Record<string, string>>;
  samples: Sample[];
}

/** Seconds of virtual time between two scrapes: Prometheus' common `scrape_interval`. */
export const SCRAPE_INTERVAL_MS = 15_000;

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g;
const unescape = (v: string) => v.replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));

/**
 * Samples of a Prometheus text exposition (version 0.0.4): each line `name{labels} value [timestamp]`; comments and
 * blank lines skipped. Pure.
 */
export function parseExposition(text: string): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const brace = line.indexOf("{");
    const space = line.indexOf(" ");
    const name = brace >= 0 && brace < space ? line.slice(0, brace) : line.slice(0, space);
    let rest: string;
    const labels: Record<string, string> = { __name__: name };
    if (brace >= 0 && brace < space) {
      const close = line.lastIndexOf("}");
      for (const m of line.slice(brace + 1, close).matchAll(LABEL)) labels[m[1]!] = unescape(m[2]!);
      rest = line.slice(close + 1).trim();
    } else rest = line.slice(space + 1).trim();
    const value = Number(rest.split(/\s+/)[0]);
    if (name !== "" && !Number.isNaN(value)) out.push({ labels, value });
  }
  return out;
}

/** Canonical key of a label set (sorted), as a series identity. Pure. */
export const seriesKey = (labels: Readonly<Record<string, string>>): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(",");

/**
 * What a Prometheus would have stored from scraping the simulated clusters every {@link SCRAPE_INTERVAL_MS} of
 * their virtual time: each scrape's samples stamped with the cluster's clock, the target labels `job` and
 * `instance` added where the exposition has none (honor_labels), `up` for every instance, and a staleness marker
 * where a series vanished from a target's scrape (a deleted pod's gauges), as Prometheus writes one.
 */
export class MetricHistory {
  private readonly series = new Map<string, StoredSeries>();
  private readonly byName = new Map<string, StoredSeries[]>();
  private readonly lastSeen = new Map<string, Set<string>>();

  /** Stores one scrape of `target` (a cluster) taken at `t` (epoch ms); `extra` labels go on every series. */
  record(target: string, t: number, exposition: string, extra: Record<string, string> = {}): void {
    const seen = new Set<string>();
    const instances = new Set<string>();
    const put = (labels: Record<string, string>, v: number) => {
      const key = seriesKey(labels);
      if (seen.has(key)) return;
      seen.add(key);
      let s = this.series.get(key);
      if (!s) {
        s = { labels, samples: [] };
        this.series.set(key, s);
        const name = labels.__name__!;
        this.byName.set(name, [...(this.byName.get(name) ?? []), s]);
      }
      s.samples.push({ t, v });
    };
    for (const { labels, value } of parseExposition(exposition)) {
      const full = { job: "kube-sim", instance: target, ...labels, ...extra };
      instances.add(full.instance);
      put(full, value);
    }
    for (const instance of instances) put({ __name__: "up", job: "kube-sim", instance, ...extra }, 1);
    for (const key of this.lastSeen.get(target) ?? []) {
      const s = this.series.get(key);
      if (!seen.has(key) && s && !s.samples.at(-1)?.stale) s.samples.push({ t, v: Number.NaN, stale: true });
    }
    this.lastSeen.set(target, seen);
  }

  /** Every stored series of a metric name (every series when the name is undefined). */
  named(name: string | undefined): readonly StoredSeries[] {
    return name === undefined ? [...this.series.values()] : (this.byName.get(name) ?? []);
  }
}

/**
 * A cluster whose every `advance` scrapes it into `history` at each {@link SCRAPE_INTERVAL_MS} boundary of its
 * clock, as a Prometheus scraping it would have. The simulator itself is untouched: the returned object only
 * wraps `advance`.
 */
export function recordedSim(
  sim: KubeSim,
  history: MetricHistory,
  target: string,
  extra: Record<string, string> = {},
): KubeSim {
  const scrape = () => history.record(target, sim.clock.now(), renderMetrics(sim.ctx), extra);
  let next = sim.clock.now() + SCRAPE_INTERVAL_MS;
  scrape();
  const advance = (ms: number) => {
    let left = ms;
    while (left > 0) {
      const step = Math.min(left, Math.max(1, next - sim.clock.now()));
      sim.advance(step);
      left -= step;
      if (sim.clock.now() >= next) {
        scrape();
        next += SCRAPE_INTERVAL_MS;
      }
    }
  };
  return Object.assign(Object.create(sim) as KubeSim, { advance });
}
