import type { SyntaxNode } from "@lezer/common";
import { parser } from "@prometheus-io/lezer-promql";
import type { MetricHistory, Sample, StoredSeries } from "./metricHistory.ts";
import { seriesKey } from "./metricHistory.ts";

/**
 * A PromQL evaluator over a {@link MetricHistory}, for the eval's Prometheus: the expressions AegisOps sends and
 * common alert rules use, with Prometheus' own semantics (5 minute lookback and staleness, extrapolated `rate`,
 * `histogram_quantile` by linear interpolation, one-to-one and group_left/right vector matching). The grammar is
 * Prometheus' own (@prometheus-io/lezer-promql). Anything outside the subset is a {@link PromqlError}, never a guess.
 */

/** What the evaluator cannot or will not evaluate: Prometheus' `bad_data`. */
export class PromqlError extends Error {}

type Labels = Record<string, string>;
interface Elem {
  labels: Labels;
  v: number;
  /** Sample time (ms) for `timestamp()` of a plain selector; the evaluation time otherwise. */
  t: number;
}
interface RangeElem {
  labels: Labels;
  samples: Sample[];
}
type Value =
  | { kind: "scalar"; v: number }
  | { kind: "vector"; elems: Elem[] }
  | { kind: "matrix"; elems: RangeElem[]; rangeMs: number }
  | { kind: "string"; s: string };

const LOOKBACK_MS = 5 * 60_000;
const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** Milliseconds of a PromQL duration (`1m30s`, `5m`) or a number of seconds. Pure. */
export function durationMs(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  let total = 0;
  const re = /(\d+)(ms|s|m|h|d|w|y)/g;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    consumed += m[0].length;
  }
  if (consumed !== text.length || consumed === 0)
    throw new PromqlError(`bad duration ${JSON.stringify(text)}`);
  return total;
}

const kids = (n: SyntaxNode): SyntaxNode[] => {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
};
const PUNCT = new Set(["(", ")", ",", "{", "}", "[", "]"]);
const args = (body: SyntaxNode) => kids(body).filter((c) => !PUNCT.has(c.name));
const without = (labels: Labels, drop: (k: string) => boolean): Labels =>
  Object.fromEntries(Object.entries(labels).filter(([k]) => !drop(k)));
const dropName = (l: Labels) => without(l, (k) => k === "__name__");

/** Parses an expression; a syntax error names where. */
export function parsePromql(expr: string): SyntaxNode {
  const tree = parser.parse(expr);
  let bad: SyntaxNode | undefined;
  tree.iterate({
    enter: (n) => {
      if (n.type.isError && !bad) bad = n.node;
    },
  });
  const top = tree.topNode.firstChild;
  if (bad || !top) throw new PromqlError(`parse error at char ${bad?.from ?? 0}: ${JSON.stringify(expr)}`);
  return top;
}

/** Evaluates `expr` at `atMs` over `history`. */
export function evaluateAt(expr: string, history: MetricHistory, atMs: number): Value {
  return new Evaluator(expr, history).eval(parsePromql(expr), atMs);
}

class Evaluator {
  constructor(
    private readonly expr: string,
    private readonly history: MetricHistory,
  ) {}

  private text(n: SyntaxNode): string {
    return this.expr.slice(n.from, n.to);
  }

  private unsupported(n: SyntaxNode): never {
    throw new PromqlError(`the eval's Prometheus does not implement ${n.name}: ${this.text(n)}`);
  }

  eval(n: SyntaxNode, at: number): Value {
    switch (n.name) {
      case "NumberDurationLiteral": {
        const t = this.text(n);
        const v =
          /^[\d.]+(e[+-]?\d+)?$/i.test(t) || /^(nan|inf)$/i.test(t)
            ? Number(t.replace(/^inf$/i, "Infinity"))
            : durationMs(t) / 1000;
        return { kind: "scalar", v };
      }
      case "StringLiteral":
        return { kind: "string", s: JSON.parse(this.text(n).replace(/^'|'$/g, '"')) as string };
      case "ParenExpr":
        return this.eval(
          kids(n).find((c) => !PUNCT.has(c.name))!,
          at,
        );
      case "UnaryExpr": {
        const [op, inner] = kids(n);
        const v = this.eval(inner!, at);
        if (this.text(op!) === "+") return v;
        if (v.kind === "scalar") return { kind: "scalar", v: -v.v };
        if (v.kind === "vector")
          return {
            kind: "vector",
            elems: v.elems.map((e) => ({ ...e, labels: dropName(e.labels), v: -e.v })),
          };
        return this.unsupported(n);
      }
      case "OffsetExpr": {
        const parts = kids(n);
        const d = durationMs(this.text(parts.at(-1)!));
        return this.eval(parts[0]!, at - d);
      }
      case "VectorSelector":
        return { kind: "vector", elems: this.instant(n, at) };
      case "MatrixSelector": {
        const [sel, dur] = kids(n).filter((c) => !PUNCT.has(c.name));
        const rangeMs = durationMs(this.text(dur!));
        return { kind: "matrix", elems: this.range(sel!, at, rangeMs), rangeMs };
      }
      case "FunctionCall":
        return this.call(n, at);
      case "AggregateExpr":
        return this.aggregate(n, at);
      case "BinaryExpr":
        return this.binary(n, at);
      default:
        return this.unsupported(n);
    }
  }

  /** The series a selector's name and matchers pick. */
  private select(sel: SyntaxNode): StoredSeries[] {
    const parts = kids(sel);
    const id = parts.find((c) => c.name === "Identifier");
    const matchers: Array<(l: Labels) => boolean> = [];
    let name = id ? this.text(id) : undefined;
    const list = parts.find((c) => c.name === "LabelMatchers");
    for (const m of list ? kids(list).filter((c) => !PUNCT.has(c.name)) : []) {
      const [label, op, value] = kids(m);
      if (!label || !op || !value) this.unsupported(m);
      const key = this.text(label).replace(/^"|"$/g, "");
      const want = JSON.parse(this.text(value).replace(/^'|'$/g, '"')) as string;
      const opText = this.text(op);
      if (key === "__name__" && opText === "=") name = want;
      const re = opText.includes("~") ? new RegExp(`^(?:${want})$`) : undefined;
      matchers.push((l) => {
        const v = l[key] ?? "";
        if (opText === "=") return v === want;
        if (opText === "!=") return v !== want;
        if (opText === "=~") return re!.test(v);
        return !re!.test(v);
      });
    }
    return this.history.named(name).filter((s) => matchers.every((m) => m(s.labels)));
  }

  /** Each selected series' newest sample within the lookback, unless it is a staleness marker. */
  private instant(sel: SyntaxNode, at: number): Elem[] {
    const out: Elem[] = [];
    for (const s of this.select(sel)) {
      const last = lastAtOrBefore(s.samples, at);
      if (!last || last.stale || last.t <= at - LOOKBACK_MS) continue;
      out.push({ labels: s.labels as Labels, v: last.v, t: last.t });
    }
    return out;
  }

  private range(sel: SyntaxNode, at: number, rangeMs: number): RangeElem[] {
    const out: RangeElem[] = [];
    for (const s of this.select(sel)) {
      const samples = s.samples.filter((x) => x.t > at - rangeMs && x.t <= at && !x.stale);
      if (samples.length > 0) out.push({ labels: s.labels as Labels, samples });
    }
    return out;
  }

  private vectorArg(n: SyntaxNode, at: number): Elem[] {
    const v = this.eval(n, at);
    if (v.kind !== "vector") throw new PromqlError(`expected an instant vector: ${this.text(n)}`);
    return v.elems;
  }

  private scalarArg(n: SyntaxNode, at: number): number {
    const v = this.eval(n, at);
    if (v.kind !== "scalar") throw new PromqlError(`expected a scalar: ${this.text(n)}`);
    return v.v;
  }

  private call(n: SyntaxNode, at: number): Value {
    const [ident, body] = kids(n);
    const fn = this.text(ident!);
    const a = args(body!);
    const vec = (elems: Elem[]): Value => ({ kind: "vector", elems });
    const overRange = (f: (s: Sample[], rangeMs: number, labels: Labels) => number | undefined): Value => {
      const m = this.eval(a[0]!, at);
      if (m.kind !== "matrix") throw new PromqlError(`${fn} needs a range vector: ${this.text(n)}`);
      const elems: Elem[] = [];
      for (const e of m.elems) {
        const v = f(e.samples, m.rangeMs, e.labels);
        if (v !== undefined) elems.push({ labels: dropName(e.labels), v, t: at });
      }
      return vec(elems);
    };
    const perElem = (f: (v: number) => number): Value =>
      vec(this.vectorArg(a[0]!, at).map((e) => ({ labels: dropName(e.labels), v: f(e.v), t: at })));
    switch (fn) {
      case "rate":
      case "increase":
      case "delta":
        return overRange((s, r) => extrapolated(s, at, r, fn !== "delta", fn === "rate"));
      case "irate":
        return overRange((s) => {
          if (s.length < 2) return undefined;
          const [x, y] = [s.at(-2)!, s.at(-1)!];
          return ((y.v < x.v ? y.v : y.v - x.v) / (y.t - x.t)) * 1000;
        });
      case "avg_over_time":
        return overRange((s) => s.reduce((p, x) => p + x.v, 0) / s.length);
      case "sum_over_time":
        return overRange((s) => s.reduce((p, x) => p + x.v, 0));
      case "max_over_time":
        return overRange((s) => Math.max(...s.map((x) => x.v)));
      case "min_over_time":
        return overRange((s) => Math.min(...s.map((x) => x.v)));
      case "count_over_time":
        return overRange((s) => s.length);
      case "last_over_time":
        return overRange((s) => s.at(-1)!.v);
      case "changes":
      case "resets":
        return overRange((s) =>
          s
            .slice(1)
            .reduce((n, x, i) => n + ((fn === "changes" ? x.v !== s[i]!.v : x.v < s[i]!.v) ? 1 : 0), 0),
        );
      case "quantile_over_time": {
        const q = this.scalarArg(a[0]!, at);
        const m = this.eval(a[1]!, at);
        if (m.kind !== "matrix") throw new PromqlError(`${fn} needs a range vector: ${this.text(n)}`);
        return vec(
          m.elems.map((e) => ({
            labels: dropName(e.labels),
            v: quantile(
              q,
              e.samples.map((x) => x.v),
            ),
            t: at,
          })),
        );
      }
      case "timestamp": {
        // Of a plain selector, the sample's own time; of any other expression, the evaluation time.
        const plain = a[0]!.name === "VectorSelector";
        return vec(
          this.vectorArg(a[0]!, at).map((e) => ({
            labels: dropName(e.labels),
            v: (plain ? e.t : at) / 1000,
            t: at,
          })),
        );
      }
      case "abs":
        return perElem(Math.abs);
      case "ceil":
        return perElem(Math.ceil);
      case "floor":
        return perElem(Math.floor);
      case "round": {
        const to = a[1] ? this.scalarArg(a[1], at) : 1;
        // Prometheus rounds half up, to the nearest multiple of `to_nearest`.
        return perElem((v) => Math.floor(v / to + 0.5) * to);
      }
      case "clamp_min": {
        const lo = this.scalarArg(a[1]!, at);
        return perElem((v) => Math.max(v, lo));
      }
      case "clamp_max": {
        const hi = this.scalarArg(a[1]!, at);
        return perElem((v) => Math.min(v, hi));
      }
      case "histogram_quantile":
        return vec(histogramQuantile(this.scalarArg(a[0]!, at), this.vectorArg(a[1]!, at), at));
      case "absent": {
        if (this.vectorArg(a[0]!, at).length > 0) return vec([]);
        const labels: Labels = {};
        const sel = a[0]!.name === "VectorSelector" ? a[0]! : undefined;
        const list = sel && kids(sel).find((c) => c.name === "LabelMatchers");
        for (const m of list ? kids(list).filter((c) => !PUNCT.has(c.name)) : []) {
          const [label, op, value] = kids(m);
          if (this.text(op!) === "=" && this.text(label!) !== "__name__")
            labels[this.text(label!)] = JSON.parse(this.text(value!)) as string;
        }
        return vec([{ labels, v: 1, t: at }]);
      }
      case "vector":
        return vec([{ labels: {}, v: this.scalarArg(a[0]!, at), t: at }]);
      case "scalar": {
        const e = this.vectorArg(a[0]!, at);
        return { kind: "scalar", v: e.length === 1 ? e[0]!.v : Number.NaN };
      }
      case "time":
        return { kind: "scalar", v: at / 1000 };
      default:
        return this.unsupported(n);
    }
  }

  private aggregate(n: SyntaxNode, at: number): Value {
    const parts = kids(n);
    const op = this.text(parts[0]!).toLowerCase();
    const mod = parts.find((c) => c.name === "AggregateModifier");
    const body = parts.find((c) => c.name === "FunctionCallBody")!;
    const a = args(body);
    const by = mod ? kids(mod).some((c) => c.name === "By") : true;
    const grouping = mod ? this.labelList(kids(mod).find((c) => c.name === "GroupingLabels")) : [];
    if ((op === "topk" || op === "bottomk") && a.length === 2) {
      // Keeps the k largest (smallest) series of each group, with their own labels.
      const k = this.scalarArg(a[0]!, at);
      const groups = new Map<string, Elem[]>();
      for (const e of this.vectorArg(a[1]!, at)) {
        const key = seriesKey(
          by
            ? Object.fromEntries(grouping.map((g) => [g, e.labels[g] ?? ""]))
            : without(e.labels, (x) => x === "__name__" || grouping.includes(x)),
        );
        groups.set(key, [...(groups.get(key) ?? []), e]);
      }
      const elems = [...groups.values()].flatMap((g) =>
        g.sort((x, y) => (op === "topk" ? y.v - x.v : x.v - y.v)).slice(0, Math.max(0, Math.floor(k))),
      );
      return { kind: "vector", elems };
    }
    if (!["sum", "max", "min", "avg", "count"].includes(op) || a.length !== 1) return this.unsupported(n);
    const groups = new Map<string, { labels: Labels; values: number[] }>();
    for (const e of this.vectorArg(a[0]!, at)) {
      const labels = by
        ? Object.fromEntries(grouping.filter((k) => e.labels[k] !== undefined).map((k) => [k, e.labels[k]!]))
        : without(e.labels, (k) => k === "__name__" || grouping.includes(k));
      const key = seriesKey(labels);
      const g = groups.get(key) ?? { labels, values: [] };
      g.values.push(e.v);
      groups.set(key, g);
    }
    const reduce = (xs: number[]) => {
      if (op === "count") return xs.length;
      if (op === "max") return xs.reduce((p, x) => (Number.isNaN(p) || x > p ? x : p), Number.NaN);
      if (op === "min") return xs.reduce((p, x) => (Number.isNaN(p) || x < p ? x : p), Number.NaN);
      const sum = xs.reduce((p, x) => p + x, 0);
      return op === "avg" ? sum / xs.length : sum;
    };
    return {
      kind: "vector",
      elems: [...groups.values()].map((g) => ({ labels: g.labels, v: reduce(g.values), t: at })),
    };
  }

  private labelList(n: SyntaxNode | undefined): string[] {
    return n
      ? kids(n)
          .filter((c) => c.name === "LabelName")
          .map((c) => this.text(c))
      : [];
  }

  private binary(n: SyntaxNode, at: number): Value {
    const parts = kids(n);
    const lhs = this.eval(parts[0]!, at);
    const rhs = this.eval(parts.at(-1)!, at);
    const op = parts[1]!.name;
    const isBool = parts.some((c) => c.name === "BoolModifier");
    const cmp = COMPARE[op];
    const arith = ARITH[op];
    if (lhs.kind === "scalar" && rhs.kind === "scalar") {
      if (arith) return { kind: "scalar", v: arith(lhs.v, rhs.v) };
      if (cmp && isBool) return { kind: "scalar", v: cmp(lhs.v, rhs.v) ? 1 : 0 };
      return this.unsupported(n);
    }
    if (lhs.kind === "scalar" || rhs.kind === "scalar") {
      const vector = lhs.kind === "vector" ? lhs : rhs.kind === "vector" ? rhs : this.unsupported(n);
      const s = lhs.kind === "scalar" ? lhs.v : (rhs as { v: number }).v;
      const pair = (v: number): [number, number] => (lhs.kind === "scalar" ? [s, v] : [v, s]);
      const elems: Elem[] = [];
      for (const e of vector.elems) {
        const [x, y] = pair(e.v);
        if (arith) elems.push({ labels: dropName(e.labels), v: arith(x, y), t: at });
        else if (cmp && isBool) elems.push({ labels: dropName(e.labels), v: cmp(x, y) ? 1 : 0, t: at });
        else if (cmp) {
          if (cmp(x, y)) elems.push({ ...e, t: at });
        } else return this.unsupported(n);
      }
      return { kind: "vector", elems };
    }
    if (lhs.kind !== "vector" || rhs.kind !== "vector") return this.unsupported(n);
    const clause = parts.find((c) => c.name === "MatchingModifierClause");
    const ck = clause ? kids(clause) : [];
    const on = ck.some((c) => c.name === "On");
    const list = this.labelList(ck.find((c) => c.name === "GroupingLabels"));
    const sig = (l: Labels) =>
      seriesKey(
        on
          ? Object.fromEntries(list.filter((k) => l[k] !== undefined).map((k) => [k, l[k]!]))
          : without(l, (k) => k === "__name__" || list.includes(k)),
      );
    if (op === "And" || op === "Or" || op === "Unless") {
      const right = new Set(rhs.elems.map((e) => sig(e.labels)));
      if (op === "And") return { kind: "vector", elems: lhs.elems.filter((e) => right.has(sig(e.labels))) };
      if (op === "Unless")
        return { kind: "vector", elems: lhs.elems.filter((e) => !right.has(sig(e.labels))) };
      const left = new Set(lhs.elems.map((e) => sig(e.labels)));
      return { kind: "vector", elems: [...lhs.elems, ...rhs.elems.filter((e) => !left.has(sig(e.labels)))] };
    }
    const groupIdx = ck.findIndex((c) => c.name === "GroupLeft" || c.name === "GroupRight");
    const groupRight = groupIdx >= 0 && ck[groupIdx]!.name === "GroupRight";
    const extra =
      groupIdx >= 0 && ck[groupIdx + 1]?.name === "GroupingLabels" ? this.labelList(ck[groupIdx + 1]) : [];
    const [many, one] = groupRight ? [rhs.elems, lhs.elems] : [lhs.elems, rhs.elems];
    const oneBySig = new Map<string, Elem>();
    for (const e of one) {
      const k = sig(e.labels);
      if (oneBySig.has(k))
        throw new PromqlError(
          `many-to-many matching not allowed: found duplicate series on the ${groupRight ? "left" : "right"} hand-side`,
        );
      oneBySig.set(k, e);
    }
    const elems: Elem[] = [];
    const seen = new Set<string>();
    for (const m of many) {
      const o = oneBySig.get(sig(m.labels));
      if (!o) continue;
      if (groupIdx < 0) {
        const k = sig(m.labels);
        if (seen.has(k))
          throw new PromqlError(
            "many-to-many matching not allowed: found duplicate series on the left hand-side",
          );
        seen.add(k);
      }
      const [l, r] = groupRight ? [o, m] : [m, o];
      const keepName = cmp && !isBool;
      let labels: Labels;
      if (groupIdx >= 0) {
        labels = { ...m.labels };
        for (const k of extra) if (o.labels[k] !== undefined) labels[k] = o.labels[k]!;
      } else
        labels = on
          ? Object.fromEntries(list.filter((k) => l.labels[k] !== undefined).map((k) => [k, l.labels[k]!]))
          : { ...l.labels };
      if (!keepName) labels = dropName(labels);
      if (arith) elems.push({ labels, v: arith(l.v, r.v), t: at });
      else if (cmp && isBool) elems.push({ labels, v: cmp(l.v, r.v) ? 1 : 0, t: at });
      else if (cmp) {
        if (cmp(l.v, r.v)) elems.push({ labels, v: l.v, t: at });
      } else return this.unsupported(n);
    }
    return { kind: "vector", elems };
  }
}

const ARITH: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Mod: (a, b) => a % b,
  Pow: (a, b) => a ** b,
};
const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  Eql: (a, b) => a === b,
  Neq: (a, b) => a !== b,
  Gtr: (a, b) => a > b,
  Lss: (a, b) => a < b,
  Gte: (a, b) => a >= b,
  Lte: (a, b) => a <= b,
};

function lastAtOrBefore(samples: readonly Sample[], at: number): Sample | undefined {
  let lo = 0;
  let hi = samples.length - 1;
  let found: Sample | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (samples[mid]!.t <= at) {
      found = samples[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The φ-quantile of values, interpolated as Prometheus' quantile_over_time does. */
function quantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const s = [...values].sort((x, y) => x - y);
  const rank = q * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (rank - lo);
}

/** Prometheus' extrapolatedRate (promql/functions.go): rate, increase and delta over a window ending at `at`. */
function extrapolated(
  s: readonly Sample[],
  at: number,
  rangeMs: number,
  isCounter: boolean,
  isRate: boolean,
): number | undefined {
  if (s.length < 2) return undefined;
  const first = s[0]!;
  const last = s.at(-1)!;
  let result = last.v - first.v;
  if (isCounter) {
    let prev = first.v;
    for (const x of s.slice(1)) {
      if (x.v < prev) result += prev;
      prev = x.v;
    }
  }
  let toStart = (first.t - (at - rangeMs)) / 1000;
  const toEnd = (at - last.t) / 1000;
  const sampled = (last.t - first.t) / 1000;
  const average = sampled / (s.length - 1);
  if (isCounter && result > 0 && first.v >= 0) {
    const toZero = sampled * (first.v / result);
    if (toZero < toStart) toStart = toZero;
  }
  const threshold = average * 1.1;
  let interval = sampled;
  interval += toStart < threshold ? toStart : average / 2;
  interval += toEnd < threshold ? toEnd : average / 2;
  result *= interval / sampled;
  return isRate ? result / (rangeMs / 1000) : result;
}

/** Prometheus' bucketQuantile over classic `le` buckets, grouped by every label but `le`. */
function histogramQuantile(q: number, elems: readonly Elem[], at: number): Elem[] {
  const groups = new Map<string, { labels: Labels; buckets: Array<{ le: number; count: number }> }>();
  for (const e of elems) {
    const le = e.labels.le;
    if (le === undefined) continue;
    const labels = without(e.labels, (k) => k === "le" || k === "__name__");
    const key = seriesKey(labels);
    const g = groups.get(key) ?? { labels, buckets: [] };
    g.buckets.push({ le: le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le), count: e.v });
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => ({ labels: g.labels, v: bucketQuantile(q, g.buckets), t: at }));
}

function bucketQuantile(q: number, input: Array<{ le: number; count: number }>): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const b = [...input].sort((x, y) => x.le - y.le);
  if (b.length < 2 || b.at(-1)!.le !== Number.POSITIVE_INFINITY) return Number.NaN;
  for (let i = 1; i < b.length; i++) if (b[i]!.count < b[i - 1]!.count) b[i]!.count = b[i - 1]!.count;
  const observations = b.at(-1)!.count;
  if (!(observations > 0)) return Number.NaN;
  let rank = q * observations;
  const i = b.findIndex((x) => x.count >= rank);
  if (i === b.length - 1) return b[b.length - 2]!.le;
  if (i === 0 && b[0]!.le <= 0) return b[0]!.le;
  let start = 0;
  let count = b[i]!.count;
  if (i > 0) {
    start = b[i - 1]!.le;
    count -= b[i - 1]!.count;
    rank -= b[i - 1]!.count;
  }
  return start + (b[i]!.le - start) * (rank / count);
}
