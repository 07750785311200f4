/** A small Prometheus registry: counters, histograms and scrape-time gauges, rendered as text format 0.0.4. */

export type Labels = Readonly<Record<string, string>>;

/** A monotonically increasing count, optionally split by labels. */
export interface Counter {
  inc(labels?: Labels, by?: number): void;
}

/** A distribution of observed values (seconds, bytes ...) in cumulative buckets. */
export interface Histogram {
  observe(value: number, labels?: Labels): void;
}

/** One value of a gauge, read when Prometheus scrapes. */
export interface GaugeSample {
  labels?: Labels;
  value: number;
}

/** Reads a gauge's current values at scrape time (e.g. from the repository). */
export type GaugeCollector = () => GaugeSample[] | Promise<GaugeSample[]>;

/** Content-Type of the rendered exposition. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface Family {
  kind: "counter" | "histogram" | "gauge";
  help: string;
  labelNames: readonly string[];
  render(lines: string[]): Promise<void>;
}

/** The process's metrics. Passed to the server (and later the agent) so each part registers its own. */
export class MetricsRegistry {
  private readonly families = new Map<string, Family>();

  /** Register (or fetch, when already registered with the same shape) a counter. */
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    const existing = this.existing<CounterFamily>(name, "counter", labelNames);
    if (existing) return existing;
    const family = new CounterFamily(name, help, checkLabels(labelNames));
    this.families.set(name, family);
    return family;
  }

  /** Register (or fetch) a histogram with upper bucket bounds in ascending order (`+Inf` is implied). */
  histogram(
    name: string,
    help: string,
    buckets: readonly number[],
    labelNames: readonly string[] = [],
  ): Histogram {
    const existing = this.existing<HistogramFamily>(name, "histogram", labelNames);
    if (existing) return existing;
    if (buckets.length === 0 || buckets.some((b, i) => i > 0 && b <= buckets[i - 1]!)) {
      throw new Error(`histogram ${name}: buckets must be non-empty and strictly ascending`);
    }
    const family = new HistogramFamily(name, help, checkLabels(labelNames), buckets);
    this.families.set(name, family);
    return family;
  }

  /** Register a gauge whose values are read at scrape time; registering the name again replaces the reader. */
  gauge(name: string, help: string, collect: GaugeCollector): void {
    const current = this.families.get(name);
    if (current && current.kind !== "gauge") throw new Error(`metric ${name} is already a ${current.kind}`);
    checkName(name);
    this.families.set(name, {
      kind: "gauge",
      help,
      labelNames: [],
      async render(lines) {
        header(lines, name, help, "gauge");
        for (const s of await collect()) lines.push(sample(name, s.labels, s.value));
      },
    });
  }

  /** The whole registry in Prometheus text exposition format. */
  async render(): Promise<string> {
    const lines: string[] = [];
    for (const family of this.families.values()) await family.render(lines);
    return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
  }

  private existing<T extends Family>(name: string, kind: Family["kind"], labelNames: readonly string[]) {
    checkName(name);
    const current = this.families.get(name);
    if (!current) return undefined;
    if (current.kind !== kind || current.labelNames.join(",") !== labelNames.join(",")) {
      throw new Error(`metric ${name} is already registered as a ${current.kind} with other labels`);
    }
    return current as T;
  }
}

/** A fresh, empty registry. */
export function createMetricsRegistry(): MetricsRegistry {
  return new MetricsRegistry();
}

class CounterFamily implements Family, Counter {
  readonly kind = "counter";
  private readonly values = new Map<string, { labels: Labels | undefined; value: number }>();

  constructor(
    private readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  inc(labels?: Labels, by = 1): void {
    if (!(by >= 0)) throw new Error(`counter ${this.name}: cannot increase by ${by}`);
    const key = seriesKey(this.labelNames, labels);
    const series = this.values.get(key);
    if (series) series.value += by;
    else this.values.set(key, { labels: pick(this.labelNames, labels), value: by });
  }

  async render(lines: string[]): Promise<void> {
    header(lines, this.name, this.help, "counter");
    for (const s of this.values.values()) lines.push(sample(this.name, s.labels, s.value));
  }
}

class HistogramFamily implements Family, Histogram {
  readonly kind = "histogram";
  private readonly series = new Map<string, { labels: Labels | undefined; counts: number[]; sum: number }>();

  constructor(
    private readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly buckets: readonly number[],
  ) {}

  observe(value: number, labels?: Labels): void {
    const key = seriesKey(this.labelNames, labels);
    let s = this.series.get(key);
    if (!s) {
      s = {
        labels: pick(this.labelNames, labels),
        counts: new Array<number>(this.buckets.length + 1).fill(0),
        sum: 0,
      };
      this.series.set(key, s);
    }
    // Counts are per bucket here and made cumulative when rendered; the last slot is +Inf.
    let i = 0;
    while (i < this.buckets.length && value > this.buckets[i]!) i++;
    s.counts[i]!++;
    s.sum += value;
  }

  async render(lines: string[]): Promise<void> {
    header(lines, this.name, this.help, "histogram");
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += s.counts[i]!;
        lines.push(sample(`${this.name}_bucket`, { ...s.labels, le: formatNumber(bound) }, cumulative));
      });
      cumulative += s.counts[this.buckets.length]!;
      lines.push(sample(`${this.name}_bucket`, { ...s.labels, le: "+Inf" }, cumulative));
      lines.push(sample(`${this.name}_sum`, s.labels, s.sum));
      lines.push(sample(`${this.name}_count`, s.labels, cumulative));
    }
  }
}

function checkName(name: string): void {
  if (!NAME.test(name)) throw new Error(`invalid metric name ${JSON.stringify(name)}`);
}

function checkLabels(names: readonly string[]): readonly string[] {
  for (const n of names) {
    if (!LABEL.test(n) || n === "le") throw new Error(`invalid label name ${JSON.stringify(n)}`);
  }
  return [...names];
}

function seriesKey(names: readonly string[], labels: Labels | undefined): string {
  if (names.length === 0) return "";
  // One label is the common case (and on the webhook's per-request path): its value is the key, no array.
  if (names.length === 1) return labels?.[names[0]!] ?? "";
  return names.map((n) => labels?.[n] ?? "").join("\u0000");
}

function pick(names: readonly string[], labels: Labels | undefined): Labels | undefined {
  if (names.length === 0) return undefined;
  return Object.fromEntries(names.map((n) => [n, labels?.[n] ?? ""]));
}

function header(lines: string[], name: string, help: string, type: string): void {
  lines.push(`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${name} ${type}`);
}

function sample(name: string, labels: Labels | undefined, value: number): string {
  const entries = labels ? Object.entries(labels) : [];
  if (entries.length === 0) return `${name} ${formatNumber(value)}`;
  const rendered = entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",");
  return `${name}{${rendered}} ${formatNumber(value)}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

/** Upper bounds (seconds) of the webhook latency histogram: sub-millisecond commits up to slow disks. */
const WEBHOOK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** What ingest can do with one alert (mirrors IngestOutcome["outcome"]); pre-set to 0 so rate() sees them. */
const ALERT_OUTCOMES = [
  "created",
  "joined",
  "repeat",
  "resolved_recorded",
  "dismissed",
  "resolved_unmatched",
];

/** The metrics the HTTP server itself updates. */
export interface ServerMetrics {
  alertsReceived: Counter;
  webhookRequests: Counter;
  webhookDuration: Histogram;
}

/** Register the server's metrics on `registry` (idempotent). */
export function registerServerMetrics(registry: MetricsRegistry): ServerMetrics {
  const alertsReceived = registry.counter(
    "aegis_alerts_received_total",
    "Alerts received through POST /alerts, by what ingest did with them.",
    ["outcome"],
  );
  for (const outcome of ALERT_OUTCOMES) alertsReceived.inc({ outcome }, 0);
  return {
    alertsReceived,
    webhookRequests: registry.counter(
      "aegis_webhook_requests_total",
      "Requests to POST /alerts, by HTTP status code.",
      ["code"],
    ),
    webhookDuration: registry.histogram(
      "aegis_webhook_duration_seconds",
      "Time from receiving POST /alerts to the end of the reply, including the database commit.",
      WEBHOOK_BUCKETS,
    ),
  };
}
